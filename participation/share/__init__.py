"""Step 5, 成果共享 (share): acceptance ratings, the public results board (成绩单), before/after
photos, the city dashboard, the committee's exports and the open-data API of communities."""
