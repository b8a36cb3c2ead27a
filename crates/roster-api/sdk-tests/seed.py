"""Fills Roster through SCIM, as an identity provider would, and writes what it made to a JSON
fixture for the SDK scripts. Standard library only.

Env: SCIM_URL/SCIM_TOKEN (Acme's Okta directory), OTHER_SCIM_URL/OTHER_SCIM_TOKEN (a second
organization's directory, so filters have something to exclude), FIXTURE (output path), and
KEY, BASE_URL, PORT, ORG, OTHER_ORG, DIRECTORY, OTHER_DIRECTORY, HOOKS (the receiver's folder),
WEBHOOK_SECRET, copied into the fixture.
"""

import json
import os
import urllib.request

USERS = 27  # > 5 pages at limit=5, > 1 page at the default limit of 10
ENGINEERING = range(0, 12)  # user indexes
SALES = range(12, 15)
DEACTIVATED = 26


def scim(base, token, method, path, body=None):
    request = urllib.request.Request(
        base.rstrip("/") + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def create_user(base, token, n, domain):
    email = f"user{n:02d}@{domain}"
    return scim(base, token, "POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "externalId": f"idp-{domain}-{n:02d}",
        "name": {"givenName": f"First{n:02d}", "familyName": f"Last{n:02d}"},
        "emails": [{"value": email, "primary": True, "type": "work"}],
        "active": True,
    })


def create_group(base, token, name, member_ids):
    return scim(base, token, "POST", "/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "externalId": f"idp-group-{name.lower()}",
        "members": [{"value": member} for member in member_ids],
    })


def main():
    base, token = os.environ["SCIM_URL"], os.environ["SCIM_TOKEN"]
    users = [create_user(base, token, n, "acme.com") for n in range(USERS)]
    ids = [user["id"] for user in users]
    engineering = create_group(base, token, "Engineering", [ids[i] for i in ENGINEERING])
    sales = create_group(base, token, "Sales", [ids[i] for i in SALES])
    scim(base, token, "PATCH", f"/Users/{ids[DEACTIVATED]}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    })
    other = create_user(os.environ["OTHER_SCIM_URL"], os.environ["OTHER_SCIM_TOKEN"], 0, "globex.com")

    fixture = {name.lower(): os.environ[name] for name in ("KEY", "BASE_URL", "ORG", "OTHER_ORG", "DIRECTORY", "OTHER_DIRECTORY", "HOOKS", "WEBHOOK_SECRET")}
    fixture.update({
        "port": int(os.environ["PORT"]),
        "users": [{"id": user["id"], "email": user["userName"], "idp_id": user["externalId"]} for user in users],
        "engineering": {"id": engineering["id"], "members": [ids[i] for i in ENGINEERING]},
        "sales": {"id": sales["id"], "members": [ids[i] for i in SALES]},
        "deactivated": ids[DEACTIVATED],
        "other_user": other["id"],
    })
    with open(os.environ["FIXTURE"], "w") as out:
        json.dump(fixture, out, indent=1)
    print(f"seeded {USERS} users, 2 groups, 1 deactivation (+1 user in a second organization)")


if __name__ == "__main__":
    main()
