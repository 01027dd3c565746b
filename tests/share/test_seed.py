"""Step 5's demo: XFL's open rating round with believable answers and photos, and the extra
communities that fill the city overview."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from participation.core.models import Community
from participation.share import ratings, summary
from participation.share.models import CitySummary, PhotoPair, Rating

NOW = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)


def test_demo(app, db, demo_copy):
    with app.test_request_context():
        demo_copy(now=NOW)
        xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
        round_ = ratings.current_round(xfl)
        assert round_.is_open(NOW) and len(round_.items) >= 3
        results = ratings.results(round_)
        assert results.overall.count == 97
        assert 3.5 <= float(results.overall.mean) <= 4.5
        assert db.session.scalar(select(func.count(PhotoPair.id))) == 3
        # 张伟民 rated one of his two homes.
        assert (
            db.session.scalar(select(func.count(Rating.id)).where(Rating.user_id.is_not(None))) == 1
        )
        assert summary.refresh(NOW) == 10
        rows = {r.code: r for r in db.session.scalars(select(CitySummary))}
        assert len({r.district for r in rows.values()}) >= 5
        assert {r.step for r in rows.values()} >= {0, 1, 2, 3, 4, 5, 6}
        assert rows["XFL"].ratings == 97 and rows["MYHY"].satisfaction_x100 is not None
        assert rows["YHL"].pledged > 0
