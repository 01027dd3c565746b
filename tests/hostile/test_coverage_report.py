"""What the hostile tests cover: every route whose objects the world builds is tried with the
other community's ids; the few whose objects are not built yet are tried by code only. This
test names them (and fails if a package's builder broke), so the gap is never silent."""

from __future__ import annotations

from tests.hostile.routes import ROUTES, app_rules, url_values

# Objects the world does not build yet: their routes are covered by the test by code (another
# community's code with a made-up id), by the CSRF test and by the security-header test only.
NOT_BUILT: set[str] = set()


def test_new_packages_build_their_objects(world):
    assert not world.a.unbuilt, (
        f"objects not built (routes fall back to code only): {world.a.unbuilt}"
    )
    assert not world.b.unbuilt, world.b.unbuilt


def test_routes_without_objects_are_the_known_few(world):
    unresolved = {
        rule.endpoint
        for rule in app_rules(world.app)
        if url_values(rule, ROUTES[rule.endpoint], world.a) is None
    }
    assert unresolved == NOT_BUILT, sorted(unresolved ^ NOT_BUILT)
