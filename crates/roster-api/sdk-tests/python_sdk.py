"""The official WorkOS Python SDK (workos==10.8.0), unchanged but for base URL and key, against a
running Roster seeded by seed.py. One line per check: `ok …` or `FAIL …`. Env: FIXTURE."""

import glob
import json
import os
import sys
import time
import traceback
from datetime import datetime, timedelta, timezone

import workos
from workos.common.models.dsync_user_created import DsyncUserCreated
from workos.organizations.models import OrganizationDomainData

F = json.load(open(os.environ["FIXTURE"]))
client = workos.WorkOSClient(api_key=F["key"], client_id="client_test", base_url=F["base_url"] + "/")
ds = client.directory_sync
USER_IDS = [user["id"] for user in F["users"]]
failed = 0


def check(name):
    def run(test):
        global failed
        try:
            test()
            print(f"ok   python {name}")
        except Exception as error:  # noqa: BLE001 - any error is the finding
            failed += 1
            where = traceback.extract_tb(error.__traceback__)[-1]
            print(f"FAIL python {name}: {type(error).__name__}: {error} [{os.path.basename(where.filename)}:{where.lineno}]")
        return test
    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def exactly_once(items, expected, what):
    ids = [item.id for item in items]
    expect(len(ids) == len(set(ids)), f"{what}: duplicates {len(ids) - len(set(ids))} among {len(ids)}")
    expect(set(ids) == set(expected), f"{what}: got {len(set(ids))}, missing {len(set(expected) - set(ids))}, extra {len(set(ids) - set(expected))}")


@check("list_directories")
def _():
    ids = {d.id for d in ds.list_directories().auto_paging_iter()}
    expect({F["directory"], F["other_directory"]} <= ids, f"got {ids}")


@check("list_directories(organization_id)")
def _():
    found = list(ds.list_directories(organization_id=F["org"]).auto_paging_iter())
    expect([d.id for d in found] == [F["directory"]], f"got {[d.id for d in found]}")


@check("get_directory")
def _():
    d = ds.get_directory(F["directory"])
    expect((d.id, d.organization_id, d.name) == (F["directory"], F["org"], "Okta"), f"got {d}")
    expect(str(getattr(d.type, "value", d.type)) == "okta scim v2.0", f"type {d.type!r}")


@check("list_users(directory, limit=5) auto-paging, desc")
def _():
    page = ds.list_users(directory=F["directory"], limit=5)
    expect(len(page.data) == 5 and page.list_metadata.after, f"first page {len(page.data)} items, after={page.list_metadata.after}")
    exactly_once(list(page.auto_paging_iter()), USER_IDS, "users")


@check("list_users(directory, limit=5, order=asc) auto-paging")
def _():
    users = list(ds.list_users(directory=F["directory"], limit=5, order="asc").auto_paging_iter())
    exactly_once(users, USER_IDS, "users")
    expect([u.id for u in users] == USER_IDS, "not in creation order")


@check("list_users(group)")
def _():
    exactly_once(list(ds.list_users(group=F["engineering"]["id"], limit=5).auto_paging_iter()), F["engineering"]["members"], "engineering")


@check("list_users(directory, email) / (directory, idp_id)")
def _():
    user = F["users"][3]
    by_email = ds.list_users(directory=F["directory"], email=user["email"]).data
    by_idp = ds.list_users(directory=F["directory"], idp_id=user["idp_id"]).data
    expect([u.id for u in by_email] == [user["id"]], f"email: {[u.id for u in by_email]}")
    expect([u.id for u in by_idp] == [user["id"]], f"idp_id: {[u.id for u in by_idp]}")


@check("get_user")
def _():
    u = ds.get_user(USER_IDS[0])
    got = (u.id, u.directory_id, u.organization_id, u.email, u.first_name, u.last_name, u.idp_id, str(getattr(u.state, "value", u.state)))
    want = (USER_IDS[0], F["directory"], F["org"], "user00@acme.com", "First00", "Last00", "idp-acme.com-00", "active")
    expect(got == want, f"got {got}")
    expect([g.id for g in u.groups or []] == [F["engineering"]["id"]], f"groups {u.groups}")
    expect(u.groups[0].name == "Engineering" and u.groups[0].directory_id == F["directory"], f"group {u.groups[0]}")


@check("get_user(deactivated).state == inactive")
def _():
    state = ds.get_user(F["deactivated"]).state
    expect(str(getattr(state, "value", state)) == "inactive", f"state {state!r}")


@check("list_groups(directory)")
def _():
    exactly_once(list(ds.list_groups(directory=F["directory"], limit=1).auto_paging_iter()), [F["engineering"]["id"], F["sales"]["id"]], "groups")


@check("list_groups(user)")
def _():
    exactly_once(list(ds.list_groups(user=USER_IDS[13]).auto_paging_iter()), [F["sales"]["id"]], "groups")


@check("get_group")
def _():
    g = ds.get_group(F["engineering"]["id"])
    got = (g.id, g.name, g.directory_id, g.organization_id, g.idp_id)
    expect(got == (F["engineering"]["id"], "Engineering", F["directory"], F["org"], "idp-group-engineering"), f"got {got}")


@check("events.list_events(dsync.user.created, limit=5) auto-paging")
def _():
    events = list(client.events.list_events(events=["dsync.user.created"], limit=5).auto_paging_iter())
    expect(all(isinstance(e, DsyncUserCreated) for e in events), f"types {sorted({type(e).__name__ for e in events})}")
    expect(len({e.id for e in events}) == len(events), "duplicate events")
    created = [e.data.id for e in events]
    expect(sorted(created) == sorted(USER_IDS + [F["other_user"]]), f"{len(created)} events for {len(set(created))} users")


@check("events.list_events(organization_id, two types)")
def _():
    page = client.events.list_events(events=["dsync.user.created", "dsync.group.created"], organization_id=F["org"], limit=100)
    kinds = {e.event for e in page.data}
    expect(kinds == {"dsync.user.created", "dsync.group.created"}, f"kinds {kinds}")
    expect(len(page.data) == len(USER_IDS) + 2, f"{len(page.data)} events")
    expect(all(e.data.organization_id == F["org"] for e in page.data), "other organization's events")


@check("events.list_events default order is oldest first (cursor sync per WorkOS docs)")
def _():
    # No `order` sent (as the SDK does by default); WorkOS streams events oldest first so that a
    # stored `after` cursor resumes at newer events. Newest-first makes `after` walk back in time.
    events = list(client.events.list_events(events=["dsync.user.created"], limit=5).auto_paging_iter())
    order = [e.data.id for e in events]
    expect(order == USER_IDS + [F["other_user"]], "newest first" if order == (USER_IDS + [F["other_user"]])[::-1] else f"order {order[:3]}…")


@check("events.list_events(range_start, range_end) datetimes")
def _():
    now = datetime.now(timezone.utc)
    inside = client.events.list_events(events=["dsync.user.created"], range_start=now - timedelta(days=1), range_end=now + timedelta(days=1), limit=100)
    future = client.events.list_events(events=["dsync.user.created"], range_start=now + timedelta(days=1), limit=100)
    expect(len(inside.data) == len(USER_IDS) + 1 and not future.data, f"inside {len(inside.data)}, future {len(future.data)}")


@check("get_user(unknown) raises NotFoundError")
def _():
    try:
        ds.get_user("directory_user_01NOSUCHUSER0000000000000")
    except workos.NotFoundError as error:
        expect(error.status_code == 404, f"status {error.status_code}")
        return
    raise AssertionError("no exception")


@check("bad API key raises AuthenticationError")
def _():
    bad = workos.WorkOSClient(api_key="sk_wrong", client_id="client_test", base_url=F["base_url"] + "/")
    try:
        bad.directory_sync.list_directories()
    except workos.AuthenticationError as error:
        expect(error.status_code == 401, f"status {error.status_code}")
        return
    raise AssertionError("no exception")


ALL_EVENT_TYPES = ["dsync.activated", "dsync.deleted", "dsync.user.created", "dsync.user.updated",
                   "dsync.user.deleted", "dsync.group.created", "dsync.group.updated",
                   "dsync.group.deleted", "dsync.group.user_added", "dsync.group.user_removed"]


def received_deliveries():
    """What the receiver got, once it holds a delivery of every event the API lists (or 30 s)."""
    wanted = {e.id for e in client.events.list_events(events=ALL_EVENT_TYPES, limit=100).auto_paging_iter()}
    deadline = time.time() + 30
    while True:
        deliveries = [json.load(open(path)) for path in glob.glob(os.path.join(F["hooks"], "*.json"))]
        got = {json.loads(d["body"])["id"] for d in deliveries}
        if wanted <= got or time.time() > deadline:
            expect(wanted <= got, f"{len(wanted - got)} of {len(wanted)} events not delivered")
            return deliveries


@check("webhooks.verify_event accepts every delivery Roster made, and refuses a tampered one")
def _():
    deliveries = received_deliveries()
    for delivery in deliveries:
        event = client.webhooks.verify_event(
            event_body=delivery["body"],
            event_signature=delivery["headers"]["workos-signature"],
            secret=F["webhook_secret"],
        )
        expect(event.id == json.loads(delivery["body"])["id"], f"event {event.id}")
    tampered = deliveries[0]["body"].replace('"object":"event"', '"object":"event" ')
    try:
        client.webhooks.verify_event(event_body=tampered, event_signature=deliveries[0]["headers"]["workos-signature"], secret=F["webhook_secret"])
    except ValueError:
        return
    raise AssertionError("a tampered body verified")


@check("organizations: create, get, get by external id, list by domain, update, delete")
def _():
    orgs = client.organizations
    created = orgs.create_organization(
        name="Initech",
        domain_data=[OrganizationDomainData.from_dict({"domain": "initech.com", "state": "verified"})],
        external_id="crm-initech",
        metadata={"tier": "gold"},
    )
    expect(created.name == "Initech" and [d.domain for d in created.domains] == ["initech.com"], f"created {created}")
    expect(created.metadata == {"tier": "gold"} and created.external_id == "crm-initech", f"created {created}")
    expect(orgs.get_organization(created.id).id == created.id, "get")
    expect(orgs.get_organization_by_external_id("crm-initech").id == created.id, "by external id")
    listed = [o.id for o in orgs.list_organizations(domains=["initech.com"]).auto_paging_iter()]
    expect(listed == [created.id], f"listed {listed}")
    every = [o.id for o in orgs.list_organizations(limit=1).auto_paging_iter()]
    expect(set(every) == {created.id, F["org"], F["other_org"]}, f"auto-paged {every}")
    renamed = orgs.update_organization(created.id, name="Initech Inc", metadata={"tier": "platinum"})
    expect(renamed.name == "Initech Inc" and renamed.metadata == {"tier": "platinum"}, f"renamed {renamed}")
    orgs.delete_organization(created.id)
    try:
        orgs.get_organization(created.id)
    except workos.NotFoundError:
        return
    raise AssertionError("still there after delete")


@check("webhooks: create (secret once), list, update, delete endpoints")
def _():
    hooks = client.webhooks
    created = hooks.create_webhook_endpoint(endpoint_url="https://app.example.com/workos", events=["dsync.user.created"])
    expect(created.secret and created.secret.startswith("whsec_"), f"secret {created.secret!r}")
    expect(str(getattr(created.status, "value", created.status)) == "enabled", f"status {created.status!r}")
    listed = {e.id: e for e in hooks.list_webhook_endpoints().auto_paging_iter()}
    expect(created.id in listed and listed[created.id].endpoint_url == "https://app.example.com/workos", f"listed {list(listed)}")
    updated = hooks.update_webhook_endpoint(created.id, status="disabled", events=["dsync.user.created", "dsync.user.updated"])
    expect(str(getattr(updated.status, "value", updated.status)) == "disabled" and len(updated.events) == 2, f"updated {updated}")
    hooks.delete_webhook_endpoint(created.id)
    expect(created.id not in {e.id for e in hooks.list_webhook_endpoints().auto_paging_iter()}, "still listed")


sys.exit(1 if failed else 0)
