//! A browser for the dashboard: keeps cookies, does not follow redirects (tests look at them),
//! and reads the CSRF token out of the page it got, as a form would submit it.

use reqwest::header::HeaderMap;

pub struct Browser {
    pub base: String,
    http: reqwest::Client,
}

/// A response as a browser sees it.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|value| value.to_str().unwrap())
            .unwrap_or_else(|| panic!("no redirect (status {}): {}", self.status, self.body))
    }

    /// The value of the page's first `name="csrf"` input.
    pub fn csrf(&self) -> String {
        self.input("csrf")
    }

    /// The value of the page's first hidden or text input called `name`, as a browser submits it.
    pub fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} input in: {}", self.body))
            + marker.len();
        unescape(self.body[start..].split('"').next().unwrap())
    }

    /// The text of the element with `id` (a copy field's `<code>`).
    pub fn code(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\">");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no #{id} in: {}", self.body))
            + marker.len();
        unescape(self.body[start..].split('<').next().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }
}

/// Text as tera escaped it into the page.
fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Browser {
    pub fn new(base: &str) -> Self {
        // A browser may sign in to a server no TestDatabase was made for (`roster demo`'s).
        roster_events::install_crypto_provider();
        Browser {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        Self::read(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        Self::read(self.http.post(url).form(form).send().await.unwrap()).await
    }

    /// Submits the form on `page_path` (its CSRF token included) to `action`.
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page_path).await.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }
}

pub const EMAIL: &str = "ana@vendor.example";
pub const PASSWORD: &str = "correct horse battery staple";

/// A browser signed in as the first administrator, made through the first-run form.
pub async fn first_admin(base: &str) -> Browser {
    let browser = Browser::new(base);
    let created = browser
        .submit(
            "/dashboard/setup",
            "/dashboard/setup",
            &[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.location(), "/dashboard/organizations");
    browser
}
