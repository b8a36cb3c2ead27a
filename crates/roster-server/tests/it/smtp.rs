//! A tiny SMTP server on a loopback port that accepts every message and keeps it, so that
//! tests receive Roster's email over a real SMTP conversation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message with quoted-printable soft line breaks and escapes undone.
    pub text: String,
}

impl Mail {
    /// The first URL in the message that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix}… link in {}", self.text));
        self.text[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .next()
            .unwrap()
            .to_owned()
    }
}

pub struct SmtpServer {
    /// `smtp://127.0.0.1:PORT`
    pub url: String,
    received: Arc<Mutex<Vec<Mail>>>,
}

fn decode_quoted_printable(raw: &str) -> String {
    let unfolded = raw.replace("=\r\n", "");
    let bytes = unfolded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&unfolded[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SmtpServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let store = received.clone();
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                actix_web::rt::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                    let (mut from, mut to) = (String::new(), Vec::new());
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-test.local\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().to_owned();
                            b"250 OK\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 OK\r\n"
                        } else if upper == "DATA" {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                data.push_str("\r\n");
                            }
                            store.lock().unwrap().push(Mail {
                                from: std::mem::take(&mut from),
                                to: std::mem::take(&mut to),
                                text: decode_quoted_printable(&data),
                            });
                            b"250 queued\r\n"
                        } else if upper == "QUIT" {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        SmtpServer { url, received }
    }

    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for a message to `to`.
    pub async fn wait_for(&self, to: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(mail) = self
                .received()
                .into_iter()
                .find(|mail| mail.to.iter().any(|recipient| recipient == to))
            {
                return mail;
            }
            assert!(Instant::now() < deadline, "no email to {to} arrived");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
