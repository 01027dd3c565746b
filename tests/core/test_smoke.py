from tests import factories


def test_home_and_health(client):
    assert client.get("/healthz").json == {"status": "ok"}
    resp = client.get("/")
    assert resp.status_code == 200
    assert "Content-Security-Policy" in resp.headers


def test_login_and_community_home(client, db, community):
    committee = factories.staff(db.session, "committee", community)
    client.login(committee)
    resp = client.get("/", follow_redirects=True)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert community.name in html
