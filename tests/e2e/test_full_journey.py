"""The full journey (issue 8) in real Chromium at 390×844: one community goes through all five
steps, each person on their own phone (a browser context, logged in once through the real
form): four owners with accounts, the owners' committee, the property company and the city.

1. The committee opens step 1, writes and posts a topic, drafts the willingness vote (special
   rule) and opens it once the notice period is over; three owners agree and one disagrees
   online, the committee enters two paper ballots; at closing time the vote passes.
2. The committee opens the household survey, three households choose items, the committee
   closes it, composes a plan from the menu (the survey's favourites plus a basic item), funds
   it and publishes it; after the notice period the confirmation vote opens by itself, the
   owners adopt the plan (online and on paper).
3. The committee sets the reward rule; three households pledge their share; the committee
   records a fourth household's paper pledge and confirms the money received; the reward is
   unlocked, up to its cap, on the public ledger.
4. An owner reports a broken light with a photo; the property company acknowledges and fixes
   it; the owner confirms.
5. The committee opens the acceptance rating; owners rate; the results board shows the
   figures; the city's dashboard lists the community and leads to its board.

Where the rules make people wait (a notice period, a closing time), the clock is moved in the
database (journey_support), never by sleeping. axe-core runs on every main page, with the
phone-layout rules; any JS error, CSP violation or failed sub-resource on any phone fails the
test. SCREENSHOTS=1 saves every checked page to screenshots/journey-NN-<who>-<page>.png."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from participation.core.models import Community, Unit
from participation.extensions import db
from tests import factories
from tests.e2e.journey_support import (
    Journey,
    Person,
    end_notice_period,
    in_days,
    menu_ids,
    money,
    plan_notice_over,
    reach_closing_time,
    vote_state,
)
from tests.e2e.support import zh

CODE = "J01"
AREA = Decimal("80.50")


def make_community(data) -> dict[str, str]:
    """One building, two entrances, eight homes of 80.50 m² and seven owners (the owner of
    1-1-101 also owns 1-1-102); accounts for four owners, the committee, the property company
    and the city. Returns the phones by person."""
    with data.ctx():
        comm = factories.community(
            db.session, code=CODE, buildings=1, entrances=2, per_entrance=4, area=AREA
        )
        comm.name = "幸福里小区"
        units = {
            u.label(): u
            for u in db.session.scalars(select(Unit).where(Unit.community_id == comm.id))
        }
        phones = {
            "wang": factories.resident(db.session, comm, unit=units["1-1-101"]).phone,
            "li": factories.resident(db.session, comm, unit=units["1-1-201"]).phone,
            "zhang": factories.resident(db.session, comm, unit=units["1-2-101"]).phone,
            "zhao": factories.resident(db.session, comm, unit=units["1-2-201"]).phone,
            "committee": factories.staff(db.session, "committee", comm).phone,
            "property": factories.staff(db.session, "property", comm).phone,
            "city": factories.staff(db.session, "city", None).phone,
        }
        db.session.commit()
        assert db.session.scalar(select(Community.id).where(Community.code == CODE))
        return phones


def cast_online(who: Person, vote_url: str, choice: str) -> str:
    """The owner's two taps (answer, confirm) on the vote page; returns the receipt code."""
    page = who.page
    page.goto(vote_url)
    page.locator(f"main section.ballot button[value='{choice}']").first.click()
    page.locator("main section.ballot-confirm button.btn-confirm").click()
    code = page.locator("main .receipt-code").first
    code.wait_for()
    return code.inner_text().strip()


def paper_ballot(committee: Person, vote_url: str, unit: str, choice: str, ref: str) -> None:
    page = committee.page
    page.goto(f"{vote_url}/paper")
    page.locator("#unit").fill(unit)
    page.locator("label.choice", has=page.locator(f"input[value='{choice}']")).click()
    page.locator("#reference").fill(ref)
    committee.submit(page.locator("main form button.btn-block"))
    committee.flash_ok()


def advance(j: Journey, committee: Person, expect: str | None) -> None:
    """The committee finishes the current step on the project page; `expect` is the key of
    the step open afterwards (None once all five are done)."""
    from participation.core.services.community import current_step, ensure_project

    page = committee.page
    page.goto(f"/c/{CODE}/project")
    committee.submit(page.locator("main form button.btn-big"))
    committee.flash_ok()
    with j.data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == CODE))
        step = current_step(ensure_project(comm))
        assert (step.key if step else None) == expect


def test_full_journey(browser, base_url, data):
    phones = make_community(data)
    j = Journey(browser, base_url, data)
    try:
        committee = j.person("committee", phones["committee"])
        wang = j.person("wang", phones["wang"])
        li = j.person("li", phones["li"])
        zhang = j.person("zhang", phones["zhang"])
        zhao = j.person("zhao", phones["zhao"])
        j.lap("logins")
        step1_willingness_vote(j, committee, [wang, li, zhang, zhao])
        j.lap("step 1")
        step2_survey_and_plan(j, committee, [wang, li, zhang, zhao])
        j.lap("step 2")
        step3_pledges(j, committee, [wang, li, zhang])
        j.lap("step 3")
        manager = j.person("property", phones["property"])
        step4_issue(j, committee, li, manager)
        j.lap("step 4")
        city = j.person("city", phones["city"])
        step5_ratings_board_city(j, committee, [wang, li, zhang], city)
        j.lap("step 5")
        j.assert_clean()
    finally:
        print(
            f"\njourney: {len(j.checked)} pages checked in {j.checking:.1f} s;"
            f" timings (s since start): {j.timings}"
        )
        j.close()


# --- step 1: the willingness vote ---------------------------------------------------------------


def step1_willingness_vote(j: Journey, committee: Person, owners: list[Person]) -> None:
    wang, li, zhang, zhao = owners
    page = committee.page
    # The committee opens step 1 from its tiles on the community home.
    page.goto(f"/c/{CODE}/")
    j.screen(committee, "home")
    page.locator(f"main a.tile[href='/c/{CODE}/project']").click()
    page.wait_for_url(f"**/c/{CODE}/project")
    j.screen(committee, "project")
    committee.submit(page.locator("main form button.btn-big"))
    committee.flash_ok()

    # The topic: a draft, then posted (residents are told; the notice period starts).
    page.goto(f"/c/{CODE}/topics/new")
    j.screen(committee, "topic-new")
    page.locator("#title").fill("幸福里小区老旧小区改造意愿征询")
    page.locator("#body").fill(
        "街道计划将本小区纳入今年老旧小区改造。改造内容由大家共同商定,费用以政府补助为主。\n"
        "请大家发表意见,公示期满后进行意愿表决。"
    )
    page.locator("#notice_days").fill("7")
    committee.submit(page.locator("main form button.btn-big"))
    topic_url = page.url.split("?")[0].split("#")[0]
    topic_id = int(topic_url.rstrip("/").rsplit("/", 1)[-1])
    committee.submit(page.locator(f"main form[action$='/topics/{topic_id}/post'] button"))
    committee.flash_ok()
    j.screen(committee, "topic-posted")

    # An owner reads it from the community home and comments (htmx, in place).
    wang.go(f"/c/{CODE}/")
    j.screen(wang, "home-step1")
    wang.page.locator(f"main a[href='/c/{CODE}/topics']").click()
    wang.page.wait_for_url(f"**/c/{CODE}/topics")
    wang.page.locator(f"main a[href='/c/{CODE}/topics/{topic_id}']").click()
    wang.page.wait_for_url(f"**/topics/{topic_id}")
    wang.page.locator("#body").fill("同意改造,楼道太暗,老人上下楼不安全。")
    wang.page.locator("#comment-submit").click()
    wang.page.locator("#comments > li.comment", has_text="楼道太暗").wait_for()
    j.screen(wang, "topic")

    # The notice period runs 7 days: moved in the database, not waited for.
    end_notice_period(j.data, topic_id)

    # The willingness vote: drafted from the topic under the special rule, then opened.
    page.goto(topic_url)
    page.locator(f"main a[href='/c/{CODE}/votes/new?topic={topic_id}']").click()
    page.wait_for_url("**/votes/new?topic=*")
    page.locator("#title").fill("改造意愿表决")
    page.locator("#question").fill("您是否同意本小区实施老旧小区改造？")
    page.locator("label.choice", has=page.locator("input[name='rule'][value='special']")).click()
    j.screen(committee, "vote-new")
    committee.submit(page.locator("main button[name='action'][value='save']"))
    vote_url = page.url.split("?")[0].split("#")[0]
    vote_id = int(vote_url.rstrip("/").rsplit("/", 1)[-1])
    committee.submit(page.locator("main form[action$='/open'] button"))
    committee.flash_ok()
    assert page.locator("main .tag-open").is_visible()
    j.screen(committee, "vote-open")

    # Online: three owners agree, one disagrees (the owner of two homes votes once for both).
    receipts = {}
    for who, choice in ((wang, "agree"), (li, "agree"), (zhang, "agree"), (zhao, "disagree")):
        receipts[who.name] = cast_online(who, vote_url, choice)
    assert len(set(receipts.values())) == 4
    assert "1-1-101, 1-1-102" in wang.page.locator("main section.ballot").first.inner_text()
    j.screen(wang, "vote-receipt")

    # On paper: two owners without the app, entered by the committee.
    paper_ballot(committee, vote_url, "1-1-202", "agree", "YY-001")
    paper_ballot(committee, vote_url, "1-2-102", "agree", "YY-002")
    j.screen(committee, "vote-paper")

    # The closing time comes; the first view closes and seals it. 6 of 7 owners (7 of 8
    # homes) took part; 5 of the 6 (6 of 7 homes by area) agreed: over 3/4 both ways.
    reach_closing_time(j.data, vote_id)
    li.go(vote_url)
    results = li.page.locator("main section.results")
    assert results.locator(".verdict-passed").is_visible()
    j.screen(li, "vote-result")
    status, result = vote_state(j.data, vote_id)
    assert status == "closed" and result.get("passed") is True
    ballots = result["ballots"]
    assert (ballots["online"], ballots["paper"]) == (4, 2), ballots
    assert (result["agree"]["owners"], result["disagree"]["owners"]) == (5, 1)
    main = li.main()
    assert "85.71%" in main or "85.7%" in main, main  # 6 of 7 owners took part

    # Every resident was told, in the inbox: the topic, the vote, its result.
    zhao.go("/inbox")
    inbox = zhao.main()
    assert "幸福里小区老旧小区改造意愿征询" in inbox and "改造意愿表决" in inbox, inbox
    j.screen(zhao, "inbox")

    # Step 1 can finish now: the committee opens step 2.
    advance(j, committee, "plan")


# --- step 2: the household survey and the plan ---------------------------------------------------

PLAN_LINES = (  # (menu key, quantity, unit cost)
    ("roof", "644", "95"),  # basic: 8 homes × 80.50 m² of roof at ¥95/m²: ¥61,180
    ("lighting", "1", "42000"),
    ("ebike_charging", "1", "16000"),
)
# ¥119,180 in all: the government 109,740, the reward 3,000, the residents 6,440 (¥10/m², so
# ¥805.00 for each 80.50 m² home).
SOURCES = {"government_subsidy": "109740", "reward": "3000", "residents": "6440"}
SHARE = Decimal("805.00")


def step2_survey_and_plan(j: Journey, committee: Person, owners: list[Person]) -> None:
    wang, li, zhang, zhao = owners
    page = committee.page
    survey_url = f"/c/{CODE}/plan/survey"

    # The committee opens the survey for five days, three items at most.
    page.goto(survey_url)
    page.locator("#closes_at").fill(in_days(5))
    page.locator("#max_picks").fill("3")
    committee.submit(page.locator("main form:has(input[value='open']) button"))
    committee.flash_ok()
    ids = menu_ids(j.data, ["lighting", "ebike_charging", "barrier_free", "greening", "roof"])

    # Three households choose (an owner of two homes answers for each home separately).
    picks = {
        wang: ("lighting", "ebike_charging", "barrier_free"),
        li: ("lighting", "ebike_charging"),
        zhang: ("lighting", "greening"),
    }
    for who, keys in picks.items():
        if who is wang:  # from the community home to the menu, then the survey
            who.go(f"/c/{CODE}/")
            who.page.locator(f"main a[href='/c/{CODE}/plan/menu']").click()
            who.page.wait_for_url("**/plan/menu")
            j.screen(wang, "menu")
            who.page.locator(f"main a[href='{survey_url}']").first.click()
            who.page.wait_for_url(f"**{survey_url}")
        else:
            who.go(survey_url)
        form = who.page.locator("main section.card form").first
        for key in keys:
            form.locator(f"input[name='items'][value='{ids[key]}']").check()
        if who is wang:
            j.screen(wang, "survey")
        who.submit(form.locator("button"))
        who.flash_ok()

    # The committee closes it; everybody sees the ranking: lighting first (3 homes).
    page.goto(survey_url)
    committee.submit(page.locator("main form:has(input[value='close']) button"))
    committee.flash_ok()
    zhao.go(survey_url)
    rows = zhao.page.locator("main table").first.locator("tbody tr")
    top = [
        (rows.nth(n).locator("th").inner_text(), rows.nth(n).locator("td").first.inner_text())
        for n in range(2)
    ]
    assert top == [("公共照明", "3"), ("电动自行车集中停放充电", "2")], top  # lighting, e-bikes
    j.screen(zhao, "survey-results")

    # The committee composes the plan from the menu: the basic roof and the two favourites.
    page.goto(f"/c/{CODE}/plan/")
    j.screen(committee, "plan-start")
    page.locator("#title").fill("幸福里小区综合改造方案")
    committee.submit(page.locator("main form button"))
    page.wait_for_url("**/edit")
    ids = menu_ids(j.data, [k for k, _q, _c in PLAN_LINES])
    for key, qty, cost in PLAN_LINES:
        page.locator(f"input[name='inc-{ids[key]}']").check()
        page.locator(f"#qty-{ids[key]}").fill(qty)
        page.locator(f"#cost-{ids[key]}").fill(cost)
    for key, amount in SOURCES.items():
        page.locator(f"#source-{key}").fill(amount)
    j.screen(committee, "plan-edit")
    committee.submit(page.locator("main form.plan-form button.btn-big"))
    committee.flash_ok()
    assert "119,180.00" in committee.main()
    plan_url = page.url.split("?")[0].split("#")[0]
    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[-1])
    committee.submit(page.locator("main form[action$='/publish'] button"))
    committee.flash_ok()
    j.screen(committee, "plan-published")

    # A resident reads the plan and their own home's share.
    li.go(f"/c/{CODE}/plan/")
    li.page.wait_for_url(f"**/plan/{plan_id}")
    assert money(SHARE) in li.page.locator("main [id^='my-share-'] strong").first.inner_text()
    j.screen(li, "plan")

    # Seven days of comment later, the committee puts it to a confirmation vote, which opens
    # by itself at the time set (now: the notice period is over).
    plan_notice_over(j.data, plan_id)
    page.goto(plan_url)
    page.locator("main form[action$='/vote'] input[name='rule'][value='special']").check()
    committee.submit(page.locator("main form[action$='/vote'] button"))
    committee.flash_ok()
    vote_url = page.url.split("?")[0].split("#")[0]
    vote_id = int(vote_url.rstrip("/").rsplit("/", 1)[-1])
    page.reload()
    assert page.locator("main .tag-open").is_visible(), committee.main()

    # Four owners agree online, one more on paper: 5 of 7 owners, 6 of 8 homes by area.
    for who in owners:
        cast_online(who, vote_url, "agree")
    j.screen(zhao, "plan-vote")
    paper_ballot(committee, vote_url, "1-1-202", "agree", "FA-001")
    reach_closing_time(j.data, vote_id)
    zhao.go(vote_url)
    assert zhao.page.locator("main section.results .verdict-passed").is_visible()
    zhao.go(plan_url)
    assert zhao.page.locator("main .plan-adopted").is_visible()
    j.screen(zhao, "plan-adopted")

    advance(j, committee, "pledge")


# --- step 3: pledges unlock the reward -----------------------------------------------------------


def step3_pledges(j: Journey, committee: Person, owners: list[Person]) -> None:
    page = committee.page
    # The community's reward rule: ¥1 per ¥1 received, at most ¥3,000, once 30 % of the homes
    # pledge. The plan counted on the whole ¥3,000.
    page.goto(f"/c/{CODE}/pledge/funding")
    page.locator("#match_ratio").fill("1")
    page.locator("label.choice", has=page.locator("input[name='cap_kind'][value='total']")).click()
    page.locator("#cap_amount").fill("3000")
    page.locator("#min_household_share_pct").fill("30")
    page.locator("#min_per_m2").fill("0")
    j.screen(committee, "funding")
    committee.submit(page.locator("main button[name='action'][value='reward']"))
    committee.flash_ok()

    for n, who in enumerate(owners):
        if n == 0:  # found from the community home
            who.go(f"/c/{CODE}/")
            who.page.locator(f"main a[href='/c/{CODE}/pledge/']").click()
            who.page.wait_for_url("**/pledge/")
        else:
            who.go(f"/c/{CODE}/pledge/")
        assert who.page.locator("#reward-box .reward-now strong").inner_text() == "¥0.00"
        who.page.locator("#money-amount").fill(str(SHARE))
        if n == 0:
            j.screen(who, "pledge")
        who.submit(who.page.locator("#money button"))
        who.flash_ok()
        assert who.page.locator("main .pledge-row").count() == 1

    # The owner of 1-1-202, who has no account, signed a paper pledge form: the committee
    # records it from the list of pledges.
    page.goto(f"/c/{CODE}/pledge/manage")
    page.locator(f"main a[href='/c/{CODE}/pledge/paper']").click()
    page.wait_for_url("**/pledge/paper")
    page.locator("#unit").fill("1-1-202")
    page.locator("label.choice", has=page.locator("input[name='kind'][value='money']")).click()
    page.locator("#amount").fill(str(SHARE))
    page.locator("#evidence").fill("认捐单 0001,业委会办公室 3 号文件夹")
    j.screen(committee, "pledge-paper")
    committee.submit(page.locator("main form button.btn-block"))
    committee.flash_ok()

    # The committee confirms the money received, with the receipt numbers.
    page.goto(f"/c/{CODE}/pledge/manage")
    assert page.locator("main .pledge-row").count() == len(owners) + 1
    j.screen(committee, "pledge-manage")
    for n in range(len(owners) + 1):
        page.goto(f"/c/{CODE}/pledge/manage")
        page.locator("main .pledge-row").first.locator("a.btn").first.click()
        page.wait_for_url("**/confirm")
        page.locator("#reference").fill(f"收据 {n + 1:04d}")
        committee.submit(page.locator("main form button"))
        committee.flash_ok()

    # The public ledger: ¥3,220 received from 4 of 8 homes (50 % ≥ 30 %) unlocks the whole
    # ¥3,000 of the cap.
    li = owners[1]
    li.go(f"/c/{CODE}/pledge/ledger")
    assert li.page.locator("main .reward-now strong").inner_text() == "¥3,000.00"
    assert "3,220.00" in li.main()
    j.screen(li, "ledger")

    advance(j, committee, "build")


# --- step 4: a problem reported with a photo, fixed and confirmed --------------------------------


def step4_issue(j: Journey, committee: Person, resident: Person, manager: Person) -> None:
    from participation.build.models import Issue
    from tests.build.helpers import jpeg_bytes

    page = resident.page
    page.goto(f"/c/{CODE}/")
    page.locator(f"main a[href='/c/{CODE}/issues/new']").click()
    page.wait_for_url(f"**/c/{CODE}/issues/new")
    j.screen(resident, "report-1")
    page.locator("label.choice-tile", has_text=zh("Something else")).click()
    resident.submit(page.locator("main form button"))
    page.locator("#description").fill("1单元楼道灯改造后一直不亮,晚上看不见台阶。")
    page.locator("#spot").fill("2楼到3楼")
    page.locator("#photo1").set_input_files(
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    j.screen(resident, "report-2")
    resident.submit(page.locator("#send-report"))
    assert page.locator("main img[src*='/photos/']").count() == 1
    with j.data.ctx():
        issue_id = db.session.scalar(select(Issue.id))

    # The property company: acknowledged from the queue (htmx), then fixed with a note.
    mpage = manager.page
    mpage.goto(f"/c/{CODE}/")
    mpage.locator(f"main a[href='/c/{CODE}/issues/queue']").click()
    mpage.wait_for_url("**/issues/queue")
    row = mpage.locator(f"#q-{issue_id}")
    assert "楼道灯" in row.inner_text()
    j.screen(manager, "queue")
    row.locator("button[value='acknowledge']").click()
    mpage.locator(f"#q-{issue_id} .flash-success").wait_for()
    mpage.locator(f"#q-{issue_id} a[href*='#resolve']").click()
    mpage.wait_for_url(f"**/issues/{issue_id}*")
    mpage.locator("#note").fill("已更换声控灯和线路,1单元2–6层全部试亮正常。")
    mpage.locator("#photo").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    j.screen(manager, "resolve")
    manager.submit(mpage.locator("#resolve button"))

    # The resident confirms it is fixed.
    page.goto(f"/c/{CODE}/issues/{issue_id}")
    assert "已更换声控灯" in page.locator("main .fixed").inner_text()
    resident.submit(page.locator("main button[value='confirm']"))
    assert zh("Closed") in page.locator("main .issue-tags").inner_text()
    j.screen(resident, "issue-closed")

    advance(j, committee, "share")


# --- step 5: ratings, the results board, the city ------------------------------------------------


def step5_ratings_board_city(
    j: Journey, committee: Person, owners: list[Person], city: Person
) -> None:
    page = committee.page
    page.goto(f"/c/{CODE}/ratings")
    page.locator("#closes_at").fill(in_days(7))
    committee.submit(page.locator("main form:has(input[value='open']) button"))
    committee.flash_ok()

    scores = {owners[0]: 5, owners[1]: 4, owners[2]: 5}
    for who, score in scores.items():
        if who is owners[0]:  # from the community home to the board, then the rating
            who.go(f"/c/{CODE}/")
            who.page.locator(f"main a[href='/c/{CODE}/board']").click()
            who.page.wait_for_url(f"**/c/{CODE}/board")
            who.page.locator("main a.btn", has_text=zh("Rate the renovation")).click()
            who.page.wait_for_url("**/ratings")
        else:
            who.go(f"/c/{CODE}/ratings")
        form = who.page.locator("form.srate").first
        for fieldset in form.locator("fieldset").all():
            fieldset.locator("label.scale-opt", has_text=str(score)).click()
        if score == 4:
            form.locator("textarea[name='overall_comment']").fill("楼道亮堂多了,充电桩很方便。")
            j.screen(who, "rate")
        who.submit(form.locator("button.btn-big"))
        assert who.page.url.endswith("/board#satisfaction")

    board = owners[1]
    board.go(f"/c/{CODE}/board")

    def section(key: str) -> str:
        return board.page.locator(f"section[aria-labelledby='{key}']").inner_text()

    sat = section("satisfaction")
    assert "4.67" in sat, sat  # (5 + 4 + 5) / 3
    # The whole journey on one page: the votes, the plan, the money, the problems.
    part = section("sb-part")
    assert "6 / 7" in part and "85.7%" in part, part  # the willingness vote
    assert board.page.locator("main .sb-decisions li .tag-pass").count() == 2  # both votes passed
    assert "119,180.00" in section("sb-plan")
    cash = section("sb-money")
    stats = board.page.locator("section[aria-labelledby='sb-money'] dl.stats dd").all_inner_texts()
    pledged, received, _hours, reward = stats
    assert (pledged, received, reward) == ("¥3,220.00", "¥3,220.00", "¥3,000.00"), cash
    issues = section("sb-issues")
    assert zh("Resolved:") in issues and "100.0%" in issues, issues
    j.screen(board, "board")

    advance(j, committee, None)

    # The city: the dashboard lists the community; its row leads to the board.
    city.go("/")
    city.page.locator("main a", has_text=zh("City overview")).click()
    city.page.wait_for_url("**/city/")
    row = city.page.locator(".city-table tbody tr", has_text="幸福里小区")
    assert row.count() == 1
    cells = row.inner_text()  # all steps done, turnout, pledged, received, rating (homes)
    assert "85.7%" in cells and "3,220" in cells and "4.67 (3)" in cells, cells
    j.screen(city, "dashboard")
    row.locator("th a").first.click()
    city.page.wait_for_url(f"**/c/{CODE}/board")
    j.screen(city, "board")
