"""Step 1, 意愿共商 (consult): topics posted for a notice period, discussion with moderation.
Votes on a topic are run by the voting engine (participation.voting)."""
