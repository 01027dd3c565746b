"""Step 3, 责任共担: the funding plan of the adopted renovation plan, pledges of money, labour and
materials, the 以奖代补 reward they unlock (reward.py, pure) and the public ledger.

models.py holds the tables, services.py one function per use case, views.py the pages, api.py
the JSON, public.py the read interface for the results board and the city dashboard."""
