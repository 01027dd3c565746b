"""Step 2 (方案共谋): the renovation menu each community edits, and (later) the plan."""
