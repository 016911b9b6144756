"""Pages with personal data are never kept in a browser's or a proxy's cache.

Township computers are shared: a people list or the audit log left in the cache can be
read by the next person at the keyboard (Back button, offline copy). Every answer but
the static files says `Cache-Control: no-store`, as the exports always did.
"""

from __future__ import annotations

from app.permissions import Role
from tests import factories
from tests.app.helpers import signed_in


def test_the_people_list_is_not_cached(app, client, db):
    village = factories.VillageFactory()
    person = factories.PersonFactory(household=factories.HouseholdFactory(village_id=village.id))
    browser = signed_in(app, factories.staff(Role.ORGANIZER, village))
    page = browser.get(f"/villages/{village.id}/people")
    assert page.status_code == 200
    assert person.name in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_audit_log_is_not_cached(app, client, db):
    village = factories.VillageFactory()
    browser = signed_in(app, factories.staff(Role.AUDITOR, township=village.township))
    page = browser.get("/audit")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"


def test_a_refusal_and_the_sign_in_page_are_not_cached_either(app, client, db):
    village = factories.VillageFactory()
    other = factories.VillageFactory(township=village.township)
    browser = signed_in(app, factories.staff(Role.ORGANIZER, village))
    refused = browser.get(f"/villages/{other.id}/people")
    assert refused.status_code == 403
    assert refused.headers["cache-control"] == "no-store"
    assert client.get("/signin").headers["cache-control"] == "no-store"


def test_an_answer_that_sets_its_own_cache_control_keeps_it(client):
    # The API's description is public and may be revalidated: it says so itself.
    assert client.get("/api/v1/openapi.json").headers["cache-control"] == "no-cache"


def test_static_files_stay_cacheable(client):
    stylesheet = client.get("/static/css/app.css")
    assert stylesheet.status_code == 200
    assert "no-store" not in stylesheet.headers.get("cache-control", "")
    assert stylesheet.headers.get("etag")
