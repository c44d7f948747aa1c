//! The soak test's API load: staff members of the demo firm using the
//! dashboard, and web-chat visitors talking to the intake agent.
//!
//! Each staff member signs in once (on one node), refreshes its token a
//! minute before it expires (as the dashboard does), and sends one
//! request every `every`, each to the next node (round robin, as a
//! balancer would), in a fixed mix ([`MIX`]): `/me`, the calls and
//! intakes lists, one intake, and three steps in ten of a text
//! conversation — its start, the visitor's next message, or its end.
//! The visitors vary their names, so the parties index and the conflict
//! checks see many people, as a firm's would, rather than one.
//!
//! Every request is timed to the last byte of its answer and counted by
//! kind (method and route template); an unexpected status, or none, is
//! an error of that kind, with the first one's body kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What the web-chat visitors and the dashboard users ask, in turn.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Me,
    Calls,
    Intakes,
    Intake,
    Chat,
}

const MIX: [Ask; 10] = [
    Ask::Me,
    Ask::Chat,
    Ask::Calls,
    Ask::Intakes,
    Ask::Chat,
    Ask::Me,
    Ask::Intake,
    Ask::Chat,
    Ask::Calls,
    Ask::Intakes,
];

/// Latencies (µs) by kind of request or event, and errors by kind (with
/// the first one's detail).
#[derive(Default)]
pub struct Tally {
    pub latency: BTreeMap<String, Histogram<u64>>,
    pub errors: BTreeMap<String, (u64, String)>,
    /// How the text conversations went (finished by the agent, …).
    pub chats: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn ok(&mut self, kind: &str, took: Duration) {
        let h = self.latency.entry(kind.to_owned()).or_insert_with(|| {
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
        });
        h.saturating_record(took.as_micros().max(1) as u64);
    }

    pub fn error(&mut self, kind: String, detail: String) {
        self.errors_of(kind, 1, detail);
    }

    /// `n` errors of one kind (none when `n` is 0).
    pub fn errors_of(&mut self, kind: String, n: u64, detail: String) {
        if n > 0 {
            self.errors.entry(kind).or_insert((0, detail)).0 += n;
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (kind, h) in other.latency {
            match self.latency.get_mut(&kind) {
                Some(mine) => mine.add(&h).expect("same bounds"),
                None => {
                    self.latency.insert(kind, h);
                }
            }
        }
        for (kind, (n, first)) in other.errors {
            self.errors.entry(kind).or_insert((0, first)).0 += n;
        }
        for (what, n) in other.chats {
            *self.chats.entry(what).or_default() += n;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }
}

/// What every staff task shares.
pub struct Api {
    pub http: reqwest::Client,
    /// The nodes' base URLs.
    pub nodes: Vec<String>,
    /// No request starts after this.
    pub until: Instant,
    /// Between two requests of one staff member.
    pub every: Duration,
    /// Requests sent and errors so far (for the progress lines).
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

/// A signed-in staff member's tokens.
struct Session {
    access: String,
    refresh: String,
    refresh_at: Instant,
}

/// A web-chat visitor's conversation.
struct Chat {
    token: String,
    visitor: Visitor,
    said: usize,
    state: String,
    reply: String,
    /// The other side has been named (the conflict check's first
    /// question); its further questions are answered "no".
    named_other_side: bool,
}

/// Who a web-chat visitor is: names vary so that the conflict index and
/// the parties table fill as a firm's would, not with one name.
struct Visitor {
    first: &'static str,
    last: &'static str,
    spouse: &'static str,
}

const FIRST: [&str; 10] = [
    "Maria", "Ana", "Grace", "Linda", "Rosa", "Helen", "Nina", "Clara", "Julia", "Irene",
];
const LAST: [&str; 10] = [
    "Lopez", "Nguyen", "Okafor", "Schmidt", "Haddad", "Kowalski", "Moreau", "Tanaka", "Silva",
    "Brennan",
];
const SPOUSE: [&str; 10] = [
    "Carlos", "David", "Peter", "Omar", "Luis", "Mark", "Ivan", "Paul", "Hugo", "Samuel",
];

/// The lines every visitor starts with (see [`Visitor::next`]).
const OPENING_LINES: usize = 10;

/// A conversation has this many messages at most; then the visitor
/// leaves (`…/end`).
const LONGEST_CHAT: usize = 40;

impl Visitor {
    fn new(n: usize) -> Self {
        Visitor {
            first: FIRST[n % 10],
            last: LAST[(n / 10) % 10],
            spouse: SPOUSE[(n / 100 + n * 7) % 10],
        }
    }

    /// What the visitor types next: its opening lines, then answers by
    /// the conversation's state, as a cooperative client booking a
    /// divorce consultation (the `intake` end-to-end tests' caller, but
    /// with nothing urgent to tell: the facts are all "no").
    fn next(&self, chat: &Chat) -> String {
        let (first, last) = (self.first, self.last);
        let opening = [
            "yes".to_owned(),
            format!("my name is {first} {last}"),
            last.to_uppercase()
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join("-"),
            "five oh three five five five zero one zero zero".to_owned(),
            "yes".to_owned(),
            format!(
                "{} dot {} at gmail dot com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            "yes".to_owned(),
            "for myself".to_owned(),
            "I want to file for divorce".to_owned(),
            "yes".to_owned(),
        ];
        debug_assert_eq!(opening.len(), OPENING_LINES);
        if let Some(line) = opening.get(chat.said) {
            return line.clone();
        }
        match chat.state.as_str() {
            "conflict_check" if !chat.named_other_side => format!("{} {last}", self.spouse),
            "conflict_check" | "facts" => "no".into(),
            "scheduling" if chat.reply.contains("Which") => "the first one".into(),
            "scheduling" => "as soon as possible".into(),
            "wrap_up" => "no, that's all".into(),
            _ => "yes".into(),
        }
    }
}

impl Api {
    fn node(&self, turn: usize) -> &str {
        &self.nodes[turn % self.nodes.len()]
    }

    /// Sends `req`, timed to the last byte of the answer, as `kind`: an
    /// answer other than `expect` (or none) is an error of that kind.
    async fn send(
        &self,
        tally: &mut Tally,
        kind: &str,
        req: reqwest::RequestBuilder,
        expect: StatusCode,
    ) -> Option<Value> {
        self.requests.fetch_add(1, Relaxed);
        let started = Instant::now();
        let answer = async {
            let resp = req.send().await?;
            let status = resp.status();
            Ok::<_, reqwest::Error>((status, resp.bytes().await?))
        }
        .await;
        let (kind, detail) = match answer {
            Ok((status, body)) if status == expect => {
                tally.ok(kind, started.elapsed());
                return Some(serde_json::from_slice(&body).unwrap_or(Value::Null));
            }
            Ok((status, body)) => (
                format!("{kind} → {}", status.as_u16()),
                String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            ),
            Err(e) => (format!("{kind} → no answer"), format!("{e:#}")),
        };
        self.errors.fetch_add(1, Relaxed);
        tally.error(kind, detail);
        None
    }

    /// A token pair from a sign-in or a refresh, or an error counted.
    fn session(&self, tally: &mut Tally, kind: &str, pair: Option<Value>) -> Option<Session> {
        let pair = pair?;
        let (Some(access), Some(refresh)) = (
            pair["access_token"].as_str(),
            pair["refresh_token"].as_str(),
        ) else {
            self.errors.fetch_add(1, Relaxed);
            tally.error(format!("{kind}: no token pair"), pair.to_string());
            return None;
        };
        // Refresh a minute before the access token expires.
        let ttl = pair["expires_in"].as_u64().unwrap_or(900);
        Some(Session {
            access: access.to_owned(),
            refresh: refresh.to_owned(),
            refresh_at: Instant::now() + Duration::from_secs(ttl.saturating_sub(60)),
        })
    }
}

/// One staff member: signs in once, then one request every `api.every`
/// until the end, each to the next node.
pub async fn staff(
    api: Arc<Api>,
    me: usize,
    users: usize,
    email: String,
    password: String,
) -> Tally {
    let mut tally = Tally::default();
    let mut turn = me;
    tokio::time::sleep(api.every.mul_f64(me as f64 / users as f64)).await;
    let mut tick = tokio::time::interval(api.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut session: Option<Session> = None;
    let mut chat: Option<Chat> = None;
    let mut intakes: Vec<String> = Vec::new();
    let mut visitors = 0usize;
    let mut k = 0usize;
    loop {
        tick.tick().await;
        if Instant::now() >= api.until {
            break;
        }
        turn += 1;
        let node = api.node(turn).to_owned();
        let Some(s) = &session else {
            let kind = "POST /api/v1/auth/login";
            let pair = api
                .send(
                    &mut tally,
                    kind,
                    api.http
                        .post(format!("{node}/api/v1/auth/login"))
                        .json(&json!({"tenant": "demo", "email": email, "password": password})),
                    StatusCode::OK,
                )
                .await;
            session = api.session(&mut tally, kind, pair);
            continue;
        };
        if Instant::now() >= s.refresh_at {
            let kind = "POST /api/v1/auth/refresh";
            let pair = api
                .send(
                    &mut tally,
                    kind,
                    api.http
                        .post(format!("{node}/api/v1/auth/refresh"))
                        .json(&json!({"refresh_token": s.refresh})),
                    StatusCode::OK,
                )
                .await;
            // A failed refresh: sign in again on the next tick.
            session = api.session(&mut tally, kind, pair);
            continue;
        }
        let access = s.access.clone();
        let ask = match MIX[k % MIX.len()] {
            Ask::Intake if intakes.is_empty() => Ask::Me,
            a => a,
        };
        k += 1;
        let get = |path: String| api.http.get(format!("{node}{path}")).bearer_auth(&access);
        match ask {
            Ask::Me => {
                let req = get("/api/v1/me".into());
                api.send(&mut tally, "GET /api/v1/me", req, StatusCode::OK)
                    .await;
            }
            Ask::Calls => {
                let req = get("/api/v1/calls?limit=50".into());
                api.send(&mut tally, "GET /api/v1/calls", req, StatusCode::OK)
                    .await;
            }
            Ask::Intakes => {
                let req = get("/api/v1/intakes?limit=50".into());
                if let Some(list) = api
                    .send(&mut tally, "GET /api/v1/intakes", req, StatusCode::OK)
                    .await
                {
                    intakes = list["intakes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i["id"].as_str().map(str::to_owned))
                        .collect();
                }
            }
            Ask::Intake => {
                let id = &intakes[k % intakes.len()];
                let req = get(format!("/api/v1/intakes/{id}"));
                api.send(&mut tally, "GET /api/v1/intakes/{id}", req, StatusCode::OK)
                    .await;
            }
            Ask::Chat => {
                chat = converse(&api, &mut tally, &node, chat, || {
                    visitors += 1;
                    Visitor::new(me + users * visitors)
                })
                .await;
            }
        }
    }
    // A visitor still typing closes the chat.
    if let Some(c) = chat {
        let node = api.node(turn + 1).to_owned();
        end_chat(&api, &mut tally, &node, &c).await;
        *tally.chats.entry("left open at the end").or_default() += 1;
    }
    tally
}

/// One step of a web-chat visitor's conversation: its start, its next
/// message, or its end; the conversation if it goes on.
async fn converse(
    api: &Api,
    tally: &mut Tally,
    node: &str,
    chat: Option<Chat>,
    visitor: impl FnOnce() -> Visitor,
) -> Option<Chat> {
    let Some(mut chat) = chat else {
        let started = api
            .send(
                tally,
                "POST /api/v1/tenants/{slug}/conversations",
                api.http
                    .post(format!("{node}/api/v1/tenants/demo/conversations")),
                StatusCode::CREATED,
            )
            .await?;
        *tally.chats.entry("started").or_default() += 1;
        return Some(Chat {
            token: started["conversation_id"].as_str()?.to_owned(),
            visitor: visitor(),
            said: 0,
            state: String::new(),
            reply: started["reply"].as_str().unwrap_or_default().to_owned(),
            named_other_side: false,
        });
    };
    if chat.said >= LONGEST_CHAT {
        end_chat(api, tally, node, &chat).await;
        *tally.chats.entry("cut off (the visitor left)").or_default() += 1;
        return None;
    }
    let text = chat.visitor.next(&chat);
    chat.named_other_side |= chat.said >= OPENING_LINES && chat.state == "conflict_check";
    let reply = api
        .send(
            tally,
            "POST /api/v1/conversations/{id}/messages",
            api.http
                .post(format!(
                    "{node}/api/v1/conversations/{}/messages",
                    chat.token
                ))
                .json(&json!({"text": text})),
            StatusCode::OK,
        )
        .await?;
    if reply["done"] == true {
        *tally.chats.entry("finished by the agent").or_default() += 1;
        return None;
    }
    chat.said += 1;
    chat.state = reply["state"].as_str().unwrap_or_default().to_owned();
    chat.reply = reply["reply"].as_str().unwrap_or_default().to_owned();
    Some(chat)
}

async fn end_chat(api: &Api, tally: &mut Tally, node: &str, chat: &Chat) {
    api.send(
        tally,
        "POST /api/v1/conversations/{id}/end",
        api.http
            .post(format!("{node}/api/v1/conversations/{}/end", chat.token)),
        StatusCode::OK,
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitors_vary_and_answer_by_the_conversation_state() {
        let v = Visitor::new(113);
        assert_eq!((v.first, v.last), ("Linda", "Nguyen"));
        assert_ne!(Visitor::new(114).first, v.first);
        let mut chat = Chat {
            token: String::new(),
            visitor: Visitor::new(0),
            said: 2,
            state: String::new(),
            reply: String::new(),
            named_other_side: false,
        };
        assert_eq!(v.next(&chat), "N-G-U-Y-E-N");
        chat.said = OPENING_LINES;
        chat.state = "conflict_check".into();
        assert!(v.next(&chat).ends_with(" Nguyen"));
        chat.named_other_side = true;
        assert_eq!(v.next(&chat), "no");
        chat.state = "scheduling".into();
        chat.reply = "Which one works for you?".into();
        assert_eq!(v.next(&chat), "the first one");
        chat.reply = "When would suit you?".into();
        assert_eq!(v.next(&chat), "as soon as possible");
    }

    #[test]
    fn tallies_merge_latencies_errors_and_chats() {
        let mut a = Tally::default();
        a.ok("GET /x", Duration::from_millis(2));
        a.error("GET /x → 500".into(), "first".into());
        *a.chats.entry("started").or_default() += 1;
        let mut b = Tally::default();
        b.ok("GET /x", Duration::from_millis(4));
        b.errors_of("GET /x → 500".into(), 2, "second".into());
        b.errors_of("GET /y → 502".into(), 0, "none".into());
        *b.chats.entry("started").or_default() += 2;
        a.merge(b);
        assert_eq!(a.latency["GET /x"].len(), 2);
        assert_eq!(a.errors["GET /x → 500"], (3, "first".to_owned()));
        assert!(!a.errors.contains_key("GET /y → 502"));
        assert_eq!((a.error_count(), a.chats["started"]), (3, 3));
    }
}
