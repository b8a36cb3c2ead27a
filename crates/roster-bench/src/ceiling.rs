//! The machine's ceilings, measured with the same client as Roster: a bare actix-web handler
//! (what HTTP alone costs) and a bare handler doing one INSERT per request (what a durable
//! write costs on the backend). Roster's figures are given as ratios of these, which hold
//! better than absolute numbers on a noisy machine.

use std::net::TcpListener;
use std::thread;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

/// A running ceiling server and its address.
pub struct Ceiling {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    handle: actix_web::dev::ServerHandle,
}

impl Ceiling {
    /// Stops it.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

enum Storage {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

/// Starts the ceiling server: `GET /` answers at once, `POST /insert` inserts one row into
/// `database` (a SQLite path in WAL mode, or a PostgreSQL URL) and answers.
pub fn start(database: &str, workers: usize) -> Result<Ceiling, String> {
    let storage = if database.starts_with("postgres") {
        let mut conn = PgConnection::establish(database).map_err(|e| e.to_string())?;
        diesel::sql_query(
            "CREATE TABLE IF NOT EXISTS bench_ceiling (id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        )
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
        Storage::Postgres(
            Pool::builder()
                .max_size(10)
                .build(ConnectionManager::new(database))
                .map_err(|e| e.to_string())?,
        )
    } else {
        let mut conn = SqliteConnection::establish(database).map_err(|e| e.to_string())?;
        diesel::sql_query("PRAGMA journal_mode = WAL")
            .execute(&mut conn)
            .map_err(|e| e.to_string())?;
        diesel::sql_query(
            "CREATE TABLE IF NOT EXISTS bench_ceiling (id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        )
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
        let pool = Pool::builder()
            .max_size(4)
            .connection_customizer(Box::new(SqliteSetup))
            .build(ConnectionManager::new(database))
            .map_err(|e| e.to_string())?;
        Storage::Sqlite(pool)
    };
    let storage = web::Data::new(storage);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (sender, receiver) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(storage.clone())
                    .route(
                        "/",
                        web::get().to(|| async { HttpResponse::Ok().body("ok") }),
                    )
                    .route("/insert", web::post().to(insert))
            })
            .workers(workers)
            .disable_signals()
            .listen(listener);
            match server {
                Ok(server) => {
                    let server = server.run();
                    let _ = sender.send(Ok(server.handle()));
                    let _ = server.await;
                }
                Err(error) => {
                    let _ = sender.send(Err(error.to_string()));
                }
            }
        });
    });
    let handle = receiver.recv().map_err(|e| e.to_string())??;
    Ok(Ceiling { base, handle })
}

#[derive(Debug)]
struct SqliteSetup;

impl diesel::r2d2::CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::sql_query("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;")
            .execute(conn)
            .map(drop)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

async fn insert(storage: web::Data<Storage>) -> HttpResponse {
    let result = web::block(move || -> Result<(), String> {
        let id = ulid::Ulid::generate().to_string();
        let payload = r#"{"userName":"ceiling@example.com","active":true}"#;
        match storage.get_ref() {
            Storage::Postgres(pool) => {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                diesel::sql_query("INSERT INTO bench_ceiling (id, payload) VALUES ($1, $2)")
                    .bind::<diesel::sql_types::Text, _>(id)
                    .bind::<diesel::sql_types::Text, _>(payload)
                    .execute(&mut conn)
                    .map_err(|e| e.to_string())?;
            }
            Storage::Sqlite(pool) => {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                diesel::sql_query("INSERT INTO bench_ceiling (id, payload) VALUES (?, ?)")
                    .bind::<diesel::sql_types::Text, _>(id)
                    .bind::<diesel::sql_types::Text, _>(payload)
                    .execute(&mut conn)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
    .await;
    match result {
        Ok(Ok(())) => HttpResponse::Created().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}
