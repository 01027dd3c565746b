"""Step 4 (家园共建): on-site issue reports answered against deadlines, and the construction log."""
