//! Hostile input through the real stack: filters built to break out of SQL strings and LIKE
//! patterns, to exhaust the parser, to overflow numbers or to name internal columns; paging
//! parameters past every bound; bodies with characters databases refuse. Each gets a SCIM 400
//! or exactly the answer the reference evaluator gives; nothing else is touched.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{Scim, TestServer};

const PEOPLE: [&str; 10] = [
    "o'brien@acme.com",
    "back\\slash@acme.com",
    "per%cent@acme.com",
    "under_score@acme.com",
    "underXscore@acme.com",
    "ünal@acme.com",
    "😀smile@acme.com",
    "quote\"d@acme.com",
    "plain@acme.com",
    "x' OR '1'='1",
];

fn user_names(body: &Value) -> BTreeSet<String> {
    body["Resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .map(|user| user["userName"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn hostile_filters_get_a_400_or_exactly_the_reference_answer() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let other = server.tenant("generic", "other.com").await;
    let scim = Scim::new(&tenant);
    for (index, user_name) in PEOPLE.iter().enumerate() {
        let created = scim
            .post(
                "/Users",
                &json!({"userName": user_name, "title": format!("{index}"),
                    "name": {"familyName": user_name.split('@').next().unwrap()},
                    "emails": [{"value": format!("e{index}@acme.com"), "primary": true}]}),
            )
            .await;
        assert_eq!(created.status, 201, "{user_name}: {}", created.body);
    }
    // Another directory's user, which no filter may reach.
    assert_eq!(
        Scim::new(&other)
            .post("/Users", &json!({"userName": "plain@acme.com"}))
            .await
            .status,
        201
    );
    let all = scim.get("/Users?count=100").await.body["Resources"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), PEOPLE.len());

    let deep = |depth: usize, open: &str, close: &str| {
        format!("{}userName pr{}", open.repeat(depth), close.repeat(depth))
    };
    let filters = [
        r#"userName eq "o'brien@acme.com""#.to_owned(),
        r#"userName eq "x' OR '1'='1""#.to_owned(),
        r#"userName eq "x'); DROP TABLE directory_users; --""#.to_owned(),
        r#"userName eq "\" or \"1\" eq \"1""#.to_owned(),
        r#"userName co "'""#.to_owned(),
        r#"userName co "\\""#.to_owned(),
        r#"userName sw "back\\""#.to_owned(),
        r#"userName co "%""#.to_owned(),
        r#"userName co "_""#.to_owned(),
        r#"userName co "r_s""#.to_owned(),
        r#"userName co "%_""#.to_owned(),
        r#"userName ew "%""#.to_owned(),
        r#"userName eq "%""#.to_owned(),
        r#"userName co "*""#.to_owned(),
        r#"userName co "[""#.to_owned(),
        r#"userName co "\"""#.to_owned(),
        r#"userName eq "ünal@acme.com""#.to_owned(),
        r#"userName sw "😀""#.to_owned(),
        r#"name.familyName eq "ünal""#.to_owned(),
        r#"name.familyName co "'""#.to_owned(),
        r#"userName eq "a\u0000b""#.to_owned(),
        r#"title eq "\u0000""#.to_owned(),
        r#"title gt 123456789012345678901234567890"#.to_owned(),
        r#"title eq 1e400"#.to_owned(),
        r#"title lt -1e308"#.to_owned(),
        r#"title eq 18446744073709551616"#.to_owned(),
        r#"meta.created gt "99999-01-01T00:00:00Z""#.to_owned(),
        r#"meta.created gt "not a date""#.to_owned(),
        r#"meta.lastModified lt 99999999999999999999"#.to_owned(),
        r#"emails[value co "%" or value co "_"]"#.to_owned(),
        r#"directory_id eq "x""#.to_owned(),
        r#"organization_id pr"#.to_owned(),
        r#"bearer_token_digest pr"#.to_owned(),
        r#"document co "a""#.to_owned(),
        r#"user_name_key eq "plain@acme.com""#.to_owned(),
        r#"profile pr"#.to_owned(),
        r#"u.id pr"#.to_owned(),
        r#"userName eq "plain@acme.com" or directory_id pr"#.to_owned(),
        r#"userName eq "plain@acme.com") or (1 eq 1"#.to_owned(),
        r#"userName eq "plain@acme.com"; DELETE FROM directory_users"#.to_owned(),
        r#"urn:x:directory_users:id pr"#.to_owned(),
        deep(10_000, "(", ")"),
        deep(5_000, "not (", ")"),
        deep(2_000, "(", ")"),
        format!(
            "emails[{}]",
            deep(40, "(", ")").replace("userName", "value")
        ),
        format!("userName eq \"{}\"", "a".repeat(20_000)),
        (0..300)
            .map(|index| format!(r#"userName eq "u{index}""#))
            .collect::<Vec<_>>()
            .join(" or "),
    ];
    let rules = &roster_scim::resources::user::USER;
    for filter in &filters {
        let reply = scim
            .post("/Users/.search", &json!({"filter": filter, "count": 100}))
            .await;
        let shown = &filter[..filter.len().min(120)];
        match reply.status {
            400 => assert_eq!(reply.body["scimType"], "invalidFilter", "{shown}"),
            200 => {
                let parsed = roster_scim_engine::parse_filter(filter).unwrap();
                let expected: BTreeSet<String> = all
                    .iter()
                    .filter(|user| roster_scim_engine::matches(&parsed, user, rules))
                    .map(|user| user["userName"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(user_names(&reply.body), expected, "{shown}");
            }
            status => panic!("{shown}: {status} {}", reply.body),
        }
        // The same through the query string, where the client controls every byte.
        let mut url = reqwest::Url::parse(&format!("{}/Users", scim.base)).unwrap();
        url.query_pairs_mut()
            .append_pair("filter", filter)
            .append_pair("count", "100");
        let response = scim
            .http
            .get(url)
            .bearer_auth(&scim.token)
            .send()
            .await
            .unwrap();
        assert!(
            [200, 400].contains(&response.status().as_u16()),
            "{shown}: {}",
            response.status()
        );
    }
    // Spot checks, so that a broken evaluator cannot make a broken translation pass.
    let count = |filter: &str| {
        let scim = &scim;
        let filter = filter.to_owned();
        async move {
            scim.post("/Users/.search", &json!({"filter": filter}))
                .await
                .body["totalResults"]
                .clone()
        }
    };
    assert_eq!(count(r#"userName co "%""#).await, json!(1));
    assert_eq!(count(r#"userName co "r_s""#).await, json!(1));
    assert_eq!(count(r#"userName co "'""#).await, json!(2));
    assert_eq!(count(r#"userName co "\\""#).await, json!(1));
    assert_eq!(count(r#"userName eq "x' OR '1'='1""#).await, json!(1));

    let all_after = scim.get("/Users?count=100").await.body["Resources"].clone();
    assert_eq!(all_after, json!(all), "filters changed nothing");
    server.stop().await;
}

#[actix_web::test]
async fn paging_projection_and_bodies_past_every_bound_are_refused_or_answered() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let scim = Scim::new(&tenant);
    assert_eq!(
        scim.post("/Users", &json!({"userName": "ann@acme.com"}))
            .await
            .status,
        201
    );
    for (query, expected) in [
        (
            "startIndex=9223372036854775807&count=9223372036854775807",
            200,
        ),
        (
            "startIndex=-9223372036854775808&count=-9223372036854775808",
            200,
        ),
        ("startIndex=99999999999999999999999", 400),
        ("count=1e3", 400),
        ("count=%00", 400),
        (
            "attributes=directory_id,bearer_token_digest,document,profile",
            200,
        ),
        ("excludedAttributes=id,schemas", 200),
    ] {
        let reply = scim.get(&format!("/Users?{query}")).await;
        assert_eq!(reply.status, expected, "{query}: {}", reply.body);
        if expected == 200 {
            let text = reply.body.to_string();
            for internal in ["bearer_token_digest", "directory_id", "profile\""] {
                assert!(!text.contains(internal), "{query}: {text}");
            }
        }
    }
    // Characters a database may refuse in text, and numbers past every integer type.
    for body in [
        json!({"userName": "nul\u{0}byte@acme.com"}),
        json!({"userName": "ok@acme.com", "title": "a\u{0}b"}),
        json!({"userName": "big@acme.com", "x-number": 1e308, "y": 123456789012345678901234567890u128 as f64}),
        json!({"userName": "\u{feff}bom@acme.com"}),
        json!({"userName": "rtl\u{202e}moc.emca@acme.com"}),
    ] {
        let reply = scim.post("/Users", &body).await;
        assert!(
            [201, 400].contains(&reply.status),
            "{body}: {} {}",
            reply.status,
            reply.body
        );
        if reply.status == 201 {
            let id = reply.body["id"].as_str().unwrap();
            let read = scim.get(&format!("/Users/{id}")).await;
            assert_eq!(read.body["userName"], body["userName"], "stored as sent");
        }
    }
    // PATCH paths naming internal columns touch nothing but the document.
    let id = scim.get("/Users").await.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "directory_id",
        "organization_id",
        "id",
        "meta.version",
        "bearer_token_digest",
    ] {
        let reply = scim
            .patch(
                &format!("/Users/{id}"),
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": path, "value": "directory_01M86HN94NZP0FDZK4YN1J1WR9"}]}),
            )
            .await;
        assert!(
            [200, 204, 400].contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        let read = scim.get(&format!("/Users/{id}")).await;
        assert_eq!(read.status, 200, "{path}: the user is still ours");
        assert_eq!(read.body["id"], id);
    }
    server.stop().await;
}

#[actix_web::test]
async fn management_api_parameters_past_every_bound_are_refused_or_answered() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let key = server
        .cli(&["api-key", "create", "--name", "backend"])
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/directory_users?email=a%00b".to_owned(),
        "/directory_users?directory=%00".to_owned(),
        format!(
            "/directory_users?directory={}&idp_id=%27%20OR%201%3D1",
            tenant.directory_id
        ),
        "/directory_users/directory_user_%00".to_owned(),
        "/directory_groups?user=%25".to_owned(),
        "/directories?organization_id=%00".to_owned(),
        "/directories?limit=99999999999999999999".to_owned(),
        "/directories?limit=-1".to_owned(),
        "/directories?after=%00&before=x".to_owned(),
        "/events?range_start=99999-01-01T00:00:00Z".to_owned(),
        "/events?events=dsync.user.created%00".to_owned(),
        format!("/directories/{}", "9".repeat(5000)),
    ] {
        let response = server
            .http
            .get(format!("{}{path}", server.base_url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert!(
            [200, 400, 404, 422].contains(&status),
            "{path}: {status} {body}"
        );
        if status != 200 {
            assert!(
                body["message"].is_string() && body["code"].is_string(),
                "{path}: {body}"
            );
        }
    }
    server.stop().await;
}
