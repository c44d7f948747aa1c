//! The per-tenant, in-memory parties index and the check itself.
//!
//! Why blocking keys: scoring a name costs about a microsecond, so scanning
//! a million parties per probe is a second; a check must touch only
//! plausible candidates. Why *these* keys: the obvious key, "same surname
//! sound", returns 10,000 rows for Smith in a million parties, and "John"
//! is worse. So besides single keys (exact token `Tok`, Double Metaphone
//! code `Phon`), which are used only when rare, every name is indexed under
//! keys that *pair* two of its tokens, which are selective even when both
//! tokens are common:
//!
//! - `PP(code a, code b)`: both tokens sound alike (exact, phonetic, most
//!   typos, reordered names; unordered so "Smith John" finds "John Smith").
//! - `LC(head of a, code of b)`: one token sounds alike while the other
//!   only *starts* alike — typos that change the sound ("Jonh", "Smtih"),
//!   initials ("J. Smith"). A head is an order-free letter pair: letters
//!   1+2 and 1+3 of the token, so one typo at or near the start still
//!   leaves a shared head; an initial's head is `(j, ·)`, and a probe
//!   initial asks for all 26 heads containing its letter, so initials cost
//!   the index nothing.
//!
//! Persons pair their first token with each later one (so a dropped middle
//! name or an extra surname still shares a pair); organisations pair their
//! first four core tokens with each other. Probe nicknames are expanded at
//! query time from the dataset (a relation, not a group) into `PP` keys,
//! so the index does not grow with them. Phone and e-mail have keys of
//! their own; a date of birth alone is not evidence, so it has none.
//!
//! Every pair key a probe produces is scanned in full (recall does not
//! depend on a cut-off); single keys only when rare. A check then scores
//! each distinct stored name once (popular names recur), keeps the best
//! name per party, and builds reasons only for the hits it returns.
//! Measured on a million generated parties: see `benches/index.rs`.
//!
//! Why this memory layout: a million parties must fit comfortably, so
//! tokens are interned (`u32`), names and token lists live in two arenas
//! (compacted when half garbage), posting lists of one element are stored
//! inline in the map, and phones/e-mails are kept as integers/hashes.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use uuid::Uuid;

use crate::nicknames::related;
use crate::normalize::{NormName, normalize_email, normalize_name, normalize_phone};
use crate::phonetic::{Code, codes, full_codes};
use crate::score::{
    self, CORP_DIFFERS, GENERATION_DIFFERS, Middle, OrgMatch, PersonMatch, SimKind, Tok, TokSim,
};
use crate::severity::{WEAK_MATCH_NOTE, classify};
use crate::{
    CheckOptions, CheckOutcome, Hit, MatterStatus, NewMatterRole, Party, PartyKind, PartyRole,
    Probe, Reason, STRONG_THRESHOLD, Severity, Status,
};

type Sym = u32;
const NO_SYM: Sym = u32::MAX;
const DEAD: u32 = u32::MAX;

/// A single-key posting list longer than this is not scanned on its own:
/// the pair keys cover it. Recall does not depend on it (pairs do), only
/// speed and the rare name that shares a single rare token.
const RARE: usize = 100;
/// A one-token probe ("Acme Inc") has no pairs, so its token list is
/// scanned up to this size even when common.
const SINGLE_TOKEN_CAP: usize = 50_000;

const TAG_TOK: u64 = 1;
const TAG_PHON: u64 = 2;
const TAG_PP: u64 = 3;
const TAG_LC: u64 = 4;
const TAG_PHONE: u64 = 5;
const TAG_EMAIL: u64 = 6;

fn key(tag: u64, payload: u64) -> u64 {
    (tag << 60) | (payload & ((1 << 60) - 1))
}

/// Token strings ↔ symbols, with their phonetic codes computed once.
/// Symbols are never freed: the vocabulary of names is small next to the
/// number of parties, so garbage is bounded.
#[derive(Default)]
struct Interner {
    map: FxHashMap<Box<str>, Sym>,
    strs: Vec<Box<str>>,
    /// Blocking codes (4 letters).
    codes: Vec<[Code; 2]>,
    /// Scoring codes (longer).
    full: Vec<[Code; 2]>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = self.strs.len() as Sym;
        self.map.insert(s.into(), sym);
        self.strs.push(s.into());
        self.codes.push(codes(s));
        self.full.push(full_codes(s));
        sym
    }
    fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }
    fn str(&self, sym: Sym) -> &str {
        &self.strs[sym as usize]
    }
}

/// key → entry ids. A value without the high bit is the only entry;
/// with it, an index into `lists` (most keys have one entry: phones,
/// e-mails, many pairs, so no `Vec` is allocated for them).
#[derive(Default)]
struct Postings {
    map: FxHashMap<u64, u32>,
    lists: Vec<Vec<u32>>,
    free: Vec<u32>,
}

const MANY: u32 = 1 << 31;

impl Postings {
    fn add(&mut self, key: u64, entry: u32) {
        debug_assert!(entry < MANY);
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(entry);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let v = *o.get();
                if v & MANY == 0 {
                    let list = vec![v, entry];
                    let idx = match self.free.pop() {
                        Some(i) => {
                            self.lists[i as usize] = list;
                            i
                        }
                        None => {
                            self.lists.push(list);
                            (self.lists.len() - 1) as u32
                        }
                    };
                    *o.get_mut() = idx | MANY;
                } else {
                    self.lists[(v & !MANY) as usize].push(entry);
                }
            }
        }
    }

    fn remove(&mut self, key: u64, entry: u32) {
        let Some(v) = self.map.get_mut(&key) else {
            return;
        };
        if *v & MANY == 0 {
            if *v == entry {
                self.map.remove(&key);
            }
            return;
        }
        let idx = (*v & !MANY) as usize;
        let list = &mut self.lists[idx];
        if let Some(pos) = list.iter().position(|&e| e == entry) {
            list.swap_remove(pos);
        }
        if list.len() == 1 {
            *v = list[0];
            self.lists[idx] = Vec::new();
            self.free.push(idx as u32);
        }
    }

    fn get(&self, key: u64) -> &[u32] {
        match self.map.get(&key) {
            None => &[],
            Some(v) if v & MANY == 0 => std::slice::from_ref(v),
            Some(v) => &self.lists[(v & !MANY) as usize],
        }
    }
}

const INLINE: usize = 4;

/// One name (or alias) of one party.
#[derive(Clone, Copy)]
struct Entry {
    /// Party slot, or `DEAD`.
    party: u32,
    /// Up to `INLINE` token symbols, inline so that scoring a candidate
    /// costs one cache miss, not two; longer names keep their tokens in
    /// `tok_arena` with the start in `toks[0]`.
    toks: [Sym; INLINE],
    name_start: u32,
    name_len: u32,
    corp: Sym,
    tok_len: u8,
    kind: PartyKind,
    generational: u8,
    alias: bool,
}

struct PartyRec {
    id: Uuid,
    role: PartyRole,
    status: Option<MatterStatus>,
    kind: PartyKind,
    dob: Option<chrono::NaiveDate>,
    phones: Box<[u64]>,
    emails: Box<[u64]>,
    entries: Box<[u32]>,
}

/// Counts describing an index (for capacity planning and the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexStats {
    pub parties: usize,
    /// Names plus aliases.
    pub names: usize,
    pub distinct_tokens: usize,
    pub distinct_keys: usize,
    pub postings: usize,
}

/// The parties of one firm, indexed for conflict checks.
///
/// Not internally synchronised: share it behind an `RwLock` (checks take
/// `&self`, so many can run at once; updates take `&mut self`).
#[derive(Default)]
pub struct Index {
    interner: Interner,
    parties: Vec<Option<PartyRec>>,
    free_parties: Vec<u32>,
    by_id: FxHashMap<Uuid, u32>,
    entries: Vec<Entry>,
    free_entries: Vec<u32>,
    live_entries: usize,
    tok_arena: Vec<Sym>,
    name_arena: String,
    garbage: usize,
    postings: Postings,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("stats", &self.stats())
            .finish()
    }
}

/// A token as the key builder sees it.
#[derive(Clone, Copy)]
struct KeyTok {
    sym: Sym,
    letters: [u8; 3],
    codes: [Code; 2],
}

impl KeyTok {
    fn new(text: &str, sym: Sym, codes: [Code; 2]) -> Self {
        let b = text.as_bytes();
        KeyTok {
            sym,
            letters: [
                b.first().copied().unwrap_or(0),
                b.get(1).copied().unwrap_or(0),
                b.get(2).copied().unwrap_or(0),
            ],
            codes,
        }
    }
}

fn codes_of(c: [Code; 2]) -> impl Iterator<Item = Code> {
    c.into_iter().filter(|&x| x != 0)
}

/// The two-letter "heads" of a token, order-free: letters 1+2 and 1+3.
/// A single typo at or near the start of a word (a swap of the first two
/// letters, a wrong, missing or extra second letter) leaves one head of
/// each side equal to one head of the other; later typos leave the first
/// head alone. An initial's only head is `(letter, 0)`.
fn heads(t: &KeyTok) -> [Option<u16>; 2] {
    let [a, b, c] = t.letters;
    let pair = |x: u8, y: u8| {
        let (p, q) = if y == 0 || x <= y { (x, y) } else { (y, x) };
        ((p as u16) << 8) | q as u16
    };
    if a == 0 {
        return [None, None];
    }
    let first = pair(a, b);
    let second = (c != 0).then(|| pair(a, c)).filter(|&h| h != first);
    [Some(first), second]
}

fn lc_key(head: u16, code: Code) -> u64 {
    key(TAG_LC, ((head as u64) << 32) | code as u64)
}

/// `PP`: both tokens sound alike.
fn pp_keys(a: &KeyTok, b: &KeyTok, out: &mut Vec<u64>) {
    for ca in codes_of(a.codes) {
        for cb in codes_of(b.codes) {
            let (lo, hi) = if ca <= cb { (ca, cb) } else { (cb, ca) };
            out.push(key(TAG_PP, ((lo as u64) << 24) | hi as u64));
        }
    }
}

/// `LC`: a head of one token with the sound of the other, both ways.
/// `probe`: the query side, which also asks for stored initials of a full
/// token and, for an initial, for every head starting with it (26), so
/// initials need no key of their own on the (large) index side.
fn lc_keys(a: &KeyTok, b: &KeyTok, probe: bool, out: &mut Vec<u64>) {
    for (x, y) in [(a, b), (b, a)] {
        for c in codes_of(y.codes) {
            for h in heads(x).into_iter().flatten() {
                out.push(lc_key(h, c));
            }
            if probe {
                let first = x.letters[0];
                if x.letters[1] == 0 {
                    for l in b'a'..=b'z' {
                        let (p, q) = if first <= l { (first, l) } else { (l, first) };
                        out.push(lc_key(((p as u16) << 8) | q as u16, c));
                    }
                } else {
                    out.push(lc_key((first as u16) << 8, c));
                }
            }
        }
    }
}

fn pair_keys(a: &KeyTok, b: &KeyTok, probe: bool, out: &mut Vec<u64>) {
    pp_keys(a, b, out);
    lc_keys(a, b, probe, out);
}

/// The anchor pairs of a name of `n` tokens.
fn anchors(kind: PartyKind, n: usize) -> Vec<(usize, usize)> {
    match kind {
        PartyKind::Person => (1..n).map(|k| (0, k)).collect(),
        PartyKind::Organization => {
            let n = n.min(4);
            (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .collect()
        }
    }
}

fn single_keys(t: &KeyTok, out: &mut Vec<u64>) {
    if t.sym != NO_SYM {
        out.push(key(TAG_TOK, t.sym as u64));
    }
    for c in codes_of(t.codes) {
        out.push(key(TAG_PHON, c as u64));
    }
}

fn entry_keys(kind: PartyKind, toks: &[KeyTok]) -> Vec<u64> {
    let mut out = Vec::with_capacity(16);
    for t in toks {
        single_keys(t, &mut out);
    }
    for (i, j) in anchors(kind, toks.len()) {
        pair_keys(&toks[i], &toks[j], false, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn phone_key(digits: u64) -> u64 {
    key(TAG_PHONE, digits)
}

fn email_hash(email: &str) -> u64 {
    let mut h = FxHasher::default();
    email.hash(&mut h);
    h.finish()
}

fn email_key(hash: u64) -> u64 {
    key(TAG_EMAIL, hash >> 4)
}

fn generational_code(g: &str) -> u8 {
    match g {
        "jr" => 1,
        "sr" => 2,
        "ii" => 3,
        "iii" => 4,
        "iv" => 5,
        _ => 0,
    }
}

fn generational_str(g: u8) -> &'static str {
    ["", "jr", "sr", "ii", "iii", "iv"][g as usize]
}

/// A probe token with what scoring and blocking need.
struct PTok {
    text: String,
    sym: Sym,
    codes: [Code; 2],
    full: [Code; 2],
}

struct ProbeName {
    norm: NormName,
    toks: Vec<PTok>,
    generational: u8,
}

/// How a candidate's name matched (kept compact; reasons are built only
/// for hits).
enum Detail {
    Person(PersonMatch),
    Org(OrgMatch),
    /// No comparable name tokens (found through phone or e-mail).
    None,
}

struct Scored {
    score: f32,
    detail: Detail,
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parties in the index.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn contains(&self, id: Uuid) -> bool {
        self.by_id.contains_key(&id)
    }

    pub fn stats(&self) -> IndexStats {
        IndexStats {
            parties: self.len(),
            names: self.live_entries,
            distinct_tokens: self.interner.strs.len(),
            distinct_keys: self.postings.map.len(),
            postings: self
                .postings
                .map
                .values()
                .map(|v| {
                    if v & MANY == 0 {
                        1
                    } else {
                        self.postings.lists[(v & !MANY) as usize].len()
                    }
                })
                .sum(),
        }
    }

    /// Adds a party, or replaces the one with the same id.
    pub fn upsert(&mut self, party: Party) {
        self.remove(party.id);
        let slot = match self.free_parties.pop() {
            Some(s) => s,
            None => {
                self.parties.push(None);
                (self.parties.len() - 1) as u32
            }
        };
        let mut entry_ids = Vec::with_capacity(1 + party.aliases.len());
        let names =
            std::iter::once((&party.name, false)).chain(party.aliases.iter().map(|a| (a, true)));
        for (raw, alias) in names {
            if raw.trim().is_empty() {
                continue;
            }
            entry_ids.push(self.add_entry(slot, raw, party.kind, alias));
        }
        let mut phones: Vec<u64> = party
            .phones
            .iter()
            .filter_map(|p| normalize_phone(p)?.parse().ok())
            .collect();
        phones.sort_unstable();
        phones.dedup();
        let mut emails: Vec<u64> = party
            .emails
            .iter()
            .filter_map(|e| normalize_email(e).map(|e| email_hash(&e)))
            .collect();
        emails.sort_unstable();
        emails.dedup();
        if let Some(&first) = entry_ids.first() {
            for &p in &phones {
                self.postings.add(phone_key(p), first);
            }
            for &e in &emails {
                self.postings.add(email_key(e), first);
            }
        }
        self.parties[slot as usize] = Some(PartyRec {
            id: party.id,
            role: party.role,
            status: party.matter_status,
            kind: party.kind,
            dob: party.date_of_birth,
            phones: phones.into(),
            emails: emails.into(),
            entries: entry_ids.into(),
        });
        self.by_id.insert(party.id, slot);
    }

    fn add_entry(&mut self, slot: u32, raw: &str, kind: PartyKind, alias: bool) -> u32 {
        let norm = normalize_name(raw, Some(kind));
        let toks: Vec<KeyTok> = norm
            .tokens
            .iter()
            .take(u8::MAX as usize)
            .map(|t| {
                let sym = self.interner.intern(t);
                KeyTok::new(t, sym, self.interner.codes[sym as usize])
            })
            .collect();
        let corp = if norm.corp.is_empty() {
            NO_SYM
        } else {
            self.interner.intern(&norm.corp)
        };
        let entry = Entry {
            party: slot,
            toks: self.store_toks(&toks),
            name_start: self.name_arena.len() as u32,
            name_len: raw.len() as u32,
            corp,
            tok_len: toks.len() as u8,
            kind,
            generational: generational_code(&norm.generational),
            alias,
        };
        self.name_arena.push_str(raw);
        let id = match self.free_entries.pop() {
            Some(id) => {
                self.entries[id as usize] = entry;
                id
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        assert!(id < MANY, "index full");
        for k in entry_keys(kind, &toks) {
            self.postings.add(k, id);
        }
        self.live_entries += 1;
        id
    }

    fn store_toks(&mut self, toks: &[KeyTok]) -> [Sym; INLINE] {
        let mut out = [NO_SYM; INLINE];
        if toks.len() <= INLINE {
            for (o, t) in out.iter_mut().zip(toks) {
                *o = t.sym;
            }
        } else {
            out[0] = self.tok_arena.len() as u32;
            self.tok_arena.extend(toks.iter().map(|t| t.sym));
        }
        out
    }

    fn entry_toks<'a>(&'a self, e: &'a Entry) -> &'a [Sym] {
        let len = e.tok_len as usize;
        if len <= INLINE {
            &e.toks[..len]
        } else {
            let start = e.toks[0] as usize;
            &self.tok_arena[start..start + len]
        }
    }

    fn entry_name(&self, e: &Entry) -> &str {
        &self.name_arena[e.name_start as usize..(e.name_start + e.name_len) as usize]
    }

    fn key_toks(&self, syms: &[Sym]) -> Vec<KeyTok> {
        syms.iter()
            .map(|&s| KeyTok::new(self.interner.str(s), s, self.interner.codes[s as usize]))
            .collect()
    }

    /// Removes a party; `false` if it was not there.
    pub fn remove(&mut self, id: Uuid) -> bool {
        let Some(slot) = self.by_id.remove(&id) else {
            return false;
        };
        let Some(rec) = self.parties[slot as usize].take() else {
            return false;
        };
        if let Some(&first) = rec.entries.first() {
            for &p in rec.phones.iter() {
                self.postings.remove(phone_key(p), first);
            }
            for &e in rec.emails.iter() {
                self.postings.remove(email_key(e), first);
            }
        }
        for &eid in rec.entries.iter() {
            let e = self.entries[eid as usize];
            let toks = self.key_toks(self.entry_toks(&e));
            for k in entry_keys(e.kind, &toks) {
                self.postings.remove(k, eid);
            }
            let arena_toks = if e.tok_len as usize > INLINE {
                e.tok_len as usize
            } else {
                0
            };
            self.garbage += arena_toks * 4 + e.name_len as usize;
            self.entries[eid as usize].party = DEAD;
            self.free_entries.push(eid);
            self.live_entries -= 1;
        }
        self.free_parties.push(slot);
        let live = self.tok_arena.len() * 4 + self.name_arena.len() - self.garbage;
        if self.garbage > (1 << 20) && self.garbage > live {
            self.compact();
        }
        true
    }

    /// Rewrites the arenas without the garbage of removed entries.
    fn compact(&mut self) {
        let mut toks = Vec::with_capacity(self.tok_arena.len() / 2);
        let mut names = String::with_capacity(self.name_arena.len() / 2);
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            if e.party == DEAD {
                continue;
            }
            if e.tok_len as usize > INLINE {
                let ts = toks.len() as u32;
                toks.extend_from_slice(self.entry_toks(&e));
                self.entries[i].toks[0] = ts;
            }
            let ns = names.len() as u32;
            names.push_str(self.entry_name(&e));
            self.entries[i].name_start = ns;
        }
        self.tok_arena = toks;
        self.name_arena = names;
        self.garbage = 0;
    }

    /// Checks the parties of a new matter against the index.
    pub fn check(&self, probes: &[Probe], options: &CheckOptions) -> CheckOutcome {
        let mut hits = Vec::new();
        for (i, probe) in probes.iter().enumerate() {
            hits.extend(self.check_probe(i, probe, options));
        }
        hits.sort_by(hit_order);
        let status = hits
            .iter()
            .map(|h| h.severity.status())
            .max()
            .unwrap_or(Status::Clear);
        CheckOutcome { status, hits }
    }

    /// How many name entries a probe's blocking keys select (diagnostics
    /// for the benchmark; not part of the stable API).
    #[doc(hidden)]
    pub fn candidate_count(&self, probe: &Probe) -> usize {
        let pn = self.probe_name(probe);
        self.candidates(&pn, probe).len()
    }

    fn probe_name(&self, probe: &Probe) -> ProbeName {
        let norm = normalize_name(&probe.name, probe.kind);
        let toks = norm
            .tokens
            .iter()
            .map(|t| PTok {
                sym: self.interner.get(t).unwrap_or(NO_SYM),
                codes: codes(t),
                full: full_codes(t),
                text: t.clone(),
            })
            .collect();
        let generational = generational_code(&norm.generational);
        ProbeName {
            norm,
            toks,
            generational,
        }
    }

    /// Candidate entries of one probe: rare single keys, all pair keys,
    /// nickname expansions, phone and e-mail.
    fn candidates(&self, pn: &ProbeName, probe: &Probe) -> Vec<u32> {
        let mut cands = Vec::new();
        let kts: Vec<KeyTok> = pn
            .toks
            .iter()
            .map(|t| KeyTok::new(&t.text, t.sym, t.codes))
            .collect();
        let mut keys = Vec::new();
        let single_cap = if kts.len() == 1 {
            SINGLE_TOKEN_CAP
        } else {
            RARE
        };
        for t in &kts {
            keys.clear();
            single_keys(t, &mut keys);
            for &k in &keys {
                let cap = if k >> 60 == TAG_TOK { single_cap } else { RARE };
                let list = self.postings.get(k);
                if list.len() <= cap {
                    cands.extend(list.iter().copied());
                }
            }
        }
        keys.clear();
        // Probe anchors: as the kind dictates, and for a person also the
        // organisation pattern (first tokens with each other), so a person
        // probe meets "John Smith LLC" and a reordered three-token name.
        let pairs = anchors(pn.norm.kind, kts.len());
        let last = kts.len().saturating_sub(1);
        for &(i, j) in &pairs {
            // A person's typo keys only for given name + surname: pairing
            // the given name with a middle name is selective only by
            // sound (and the stored side is indexed under both anyway).
            if pn.norm.kind == PartyKind::Person && j != last {
                pp_keys(&kts[i], &kts[j], &mut keys);
            } else {
                pair_keys(&kts[i], &kts[j], true, &mut keys);
            }
        }
        if pn.norm.kind == PartyKind::Person {
            // Also the organisation pattern (later tokens with each other),
            // sound-alike only: finds "John Smith LLC" and a stored name
            // that starts at the probe's middle name. Cheap, as PP lists
            // are short.
            for (i, j) in anchors(PartyKind::Organization, kts.len()) {
                if !pairs.contains(&(i, j)) {
                    pp_keys(&kts[i], &kts[j], &mut keys);
                }
            }
            // Nicknames: the nickname as spelled in the dataset with the
            // sound of the other tokens (a nickname *and* a typo in the
            // same name is two defects; the singles may still find it).
            if kts.len() >= 2 {
                for r in related(&pn.toks[0].text) {
                    let kt = KeyTok::new(r, NO_SYM, codes(r));
                    for other in &kts[1..] {
                        pp_keys(&kt, other, &mut keys);
                    }
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        for &k in &keys {
            cands.extend(self.postings.get(k).iter().copied());
        }
        if let Some(d) = probe
            .phone
            .as_deref()
            .and_then(normalize_phone)
            .and_then(|p| p.parse().ok())
        {
            cands.extend(self.postings.get(phone_key(d)).iter().copied());
        }
        if let Some(e) = probe.email.as_deref().and_then(normalize_email) {
            cands.extend(self.postings.get(email_key(email_hash(&e))).iter().copied());
        }
        // Sorted: deduplicated, and visited in memory order.
        cands.sort_unstable();
        cands.dedup();
        cands
    }

    fn weight(&self, sym: Sym) -> f32 {
        let df = if sym == NO_SYM {
            0
        } else {
            self.postings.get(key(TAG_TOK, sym as u64)).len()
        };
        1.0 + ((self.live_entries as f32 + 1.0) / (df as f32 + 1.0)).ln()
    }

    fn score_entry(
        &self,
        pn: &ProbeName,
        eid: u32,
        memo: &mut FxHashMap<u64, TokSim>,
        weights: &mut FxHashMap<Sym, f32>,
    ) -> Scored {
        let e = &self.entries[eid as usize];
        let syms = self.entry_toks(e);
        let mut sim = |i: usize, j: usize, given: bool| -> TokSim {
            let sym = syms[j];
            let k = ((i as u64) << 33) | ((given as u64) << 32) | sym as u64;
            *memo.entry(k).or_insert_with(|| {
                let p = &pn.toks[i];
                score::tok_sim(
                    Tok {
                        text: &p.text,
                        codes: p.full,
                    },
                    Tok {
                        text: self.interner.str(sym),
                        codes: self.interner.full[sym as usize],
                    },
                    given,
                )
            })
        };
        let both_persons = pn.norm.kind == PartyKind::Person && e.kind == PartyKind::Person;
        let (mut score, detail) = if both_persons {
            match score::score_person(pn.toks.len(), syms.len(), &mut sim) {
                Some(m) => (m.score, Detail::Person(m)),
                None => (0.0, Detail::None),
            }
        } else {
            let mut w = |s: Sym| *weights.entry(s).or_insert_with(|| self.weight(s));
            let pw: Vec<f32> = pn.toks.iter().map(|t| w(t.sym)).collect();
            let cw: Vec<f32> = syms.iter().map(|&s| w(s)).collect();
            let cross = pn.norm.kind != e.kind;
            match score::score_org(&pw, &cw, cross, &mut sim) {
                Some(m) => (m.score, Detail::Org(m)),
                None => (0.0, Detail::None),
            }
        };
        if both_persons
            && pn.generational != 0
            && e.generational != 0
            && pn.generational != e.generational
        {
            score *= GENERATION_DIFFERS;
        }
        if self.corp_differs(pn, e) {
            score *= CORP_DIFFERS;
        }
        Scored { score, detail }
    }

    fn corp_differs(&self, pn: &ProbeName, e: &Entry) -> bool {
        pn.norm.kind == PartyKind::Organization
            && e.kind == PartyKind::Organization
            && self.corp_str(e) != pn.norm.corp
    }

    fn corp_str(&self, e: &Entry) -> &str {
        if e.corp == NO_SYM {
            ""
        } else {
            self.interner.str(e.corp)
        }
    }

    fn check_probe(&self, pi: usize, probe: &Probe, opts: &CheckOptions) -> Vec<Hit> {
        let pn = self.probe_name(probe);
        let cands = self.candidates(&pn, probe);
        let mut memo = FxHashMap::with_capacity_and_hasher(256, Default::default());
        let mut weights = FxHashMap::default();
        // Popular names recur (a million parties hold hundreds of "John
        // Smith"s): score each distinct stored name once per probe.
        type NameKey<'a> = (&'a [Sym], PartyKind, u8, Sym);
        let mut by_name: FxHashMap<NameKey<'_>, f32> =
            FxHashMap::with_capacity_and_hasher(cands.len(), Default::default());
        let mut best: FxHashMap<u32, (f32, u32)> =
            FxHashMap::with_capacity_and_hasher(cands.len(), Default::default());
        for eid in cands {
            let e = &self.entries[eid as usize];
            let k = (self.entry_toks(e), e.kind, e.generational, e.corp);
            let score = match by_name.get(&k) {
                Some(&s) => s,
                None => {
                    let s = self.score_entry(&pn, eid, &mut memo, &mut weights).score;
                    by_name.insert(k, s);
                    s
                }
            };
            match best.get(&e.party) {
                Some(&(b, _)) if b >= score => {}
                _ => {
                    best.insert(e.party, (score, eid));
                }
            }
        }
        let phone: Option<u64> = probe
            .phone
            .as_deref()
            .and_then(normalize_phone)
            .and_then(|p| p.parse().ok());
        let email = probe
            .email
            .as_deref()
            .and_then(normalize_email)
            .map(|e| email_hash(&e));
        // Severity and final score for every party first (cheap); reasons,
        // strings and the detailed alignment only for the hits kept.
        const DOB: u8 = 1;
        const DOB_MISMATCH: u8 = 2;
        const PHONE: u8 = 4;
        const EMAIL: u8 = 8;
        // The lowest name score that identifiers could still lift over the
        // threshold: parties below it are skipped without touching their
        // (cold) records.
        let floor = if phone.is_some() || email.is_some() {
            0.0
        } else if probe.date_of_birth.is_some() {
            opts.threshold.min((2.0 * opts.threshold - 1.0).max(0.5))
        } else {
            opts.threshold
        };
        let mut kept = Vec::new();
        for (slot, (name_score, eid)) in best {
            if name_score < floor {
                continue;
            }
            let Some(rec) = self.parties[slot as usize].as_ref() else {
                continue;
            };
            let mut score = name_score;
            let mut extra = 0u8;
            let mut identified = false;
            if let (Some(a), Some(b)) = (probe.date_of_birth, rec.dob) {
                let persons = rec.kind == PartyKind::Person && pn.norm.kind == PartyKind::Person;
                if a == b {
                    extra |= DOB;
                    if score >= 0.5 {
                        score += (1.0 - score) * 0.5;
                        identified = true;
                    }
                } else if persons {
                    extra |= DOB_MISMATCH;
                    score *= 0.6;
                }
            }
            for (matched, flag) in [
                (phone.is_some_and(|p| rec.phones.contains(&p)), PHONE),
                (email.is_some_and(|e| rec.emails.contains(&e)), EMAIL),
            ] {
                if matched {
                    extra |= flag;
                    score = (score + (1.0 - score) * 0.6).max(0.85);
                    identified = true;
                }
            }
            let score = score.clamp(0.0, 1.0);
            if score < opts.threshold {
                continue;
            }
            let (mut severity, mut rule) = classify(probe.role, rec.role, rec.status);
            if severity == Severity::Conflict && score < STRONG_THRESHOLD && !identified {
                severity = Severity::Potential;
                rule = match probe.role {
                    NewMatterRole::Adverse => {
                        "adverse party may be a current client: fuzzy name match, confirm identity (Rule 1.7, attorney review)"
                    }
                    NewMatterRole::Client => {
                        "new client may be an adverse party in a current matter: fuzzy name match, confirm identity (Rule 1.7, attorney review)"
                    }
                    NewMatterRole::Related => WEAK_MATCH_NOTE,
                };
            }
            kept.push((severity, score, rec.id, slot, eid, rule, extra));
        }
        kept.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        kept.truncate(opts.max_hits_per_probe);
        kept.into_iter()
            .map(|(severity, score, id, _, eid, rule, extra)| {
                let e = &self.entries[eid as usize];
                let detail = self.score_entry(&pn, eid, &mut memo, &mut weights).detail;
                let mut reasons = self.reasons(&pn, e, &detail);
                for (flag, reason) in [
                    (DOB, Reason::DateOfBirth),
                    (DOB_MISMATCH, Reason::DateOfBirthMismatch),
                    (PHONE, Reason::Phone),
                    (EMAIL, Reason::Email),
                ] {
                    if extra & flag != 0 {
                        reasons.push(reason);
                    }
                }
                Hit {
                    probe: pi,
                    party_id: id,
                    matched_name: self.entry_name(e).to_owned(),
                    score,
                    reasons,
                    severity,
                    rule,
                }
            })
            .collect()
    }

    fn reasons(&self, pn: &ProbeName, e: &Entry, detail: &Detail) -> Vec<Reason> {
        let syms = self.entry_toks(e);
        let ptext = |i: usize| pn.toks[i].text.clone();
        let ctext = |j: usize| self.interner.str(syms[j]).to_owned();
        let tok_reason = |i: usize, j: usize, s: TokSim, given: bool| -> Option<Reason> {
            Some(match s.kind {
                SimKind::Exact if given => Reason::GivenNameExact,
                SimKind::Exact => Reason::SurnameExact,
                SimKind::Nickname => Reason::Nickname {
                    probe: ptext(i),
                    party: ctext(j),
                },
                SimKind::Initial { probe_is_initial } => {
                    let (initial, name) = if probe_is_initial {
                        (ptext(i), ctext(j))
                    } else {
                        (ctext(j), ptext(i))
                    };
                    Reason::Initial { initial, name }
                }
                SimKind::Typo => Reason::Typo {
                    probe: ptext(i),
                    party: ctext(j),
                    similarity: (s.score * 100.0).round() / 100.0,
                },
                SimKind::Phonetic => Reason::Phonetic {
                    probe: ptext(i),
                    party: ctext(j),
                },
                SimKind::Weak => return None,
            })
        };
        let mut out = Vec::new();
        match detail {
            Detail::None => {}
            Detail::Person(m) => {
                if m.exact {
                    out.push(Reason::ExactName);
                } else {
                    if let Some((i, j, s)) = m.given {
                        out.extend(tok_reason(i, j, s, true));
                    }
                    let (i, j, s) = m.surname;
                    out.extend(tok_reason(i, j, s, false));
                    if m.surname_only {
                        out.push(Reason::SurnameOnly);
                    }
                    if m.reordered {
                        out.push(Reason::Reordered);
                    }
                    match m.middle {
                        Middle::Agree => {}
                        Middle::Missing => out.push(Reason::MiddleNameMissing),
                        Middle::Differs => out.push(Reason::MiddleNameDiffers),
                    }
                }
                if pn.generational != 0 && e.generational != 0 && pn.generational != e.generational
                {
                    out.push(Reason::GenerationalSuffixDiffers {
                        probe: generational_str(pn.generational).into(),
                        party: generational_str(e.generational).into(),
                    });
                }
            }
            Detail::Org(m) => {
                if pn.norm.kind != e.kind {
                    out.push(Reason::PersonVsOrganization);
                }
                if m.exact {
                    out.push(Reason::ExactName);
                } else {
                    for &(i, j, s) in &m.pairs {
                        if s.kind != SimKind::Exact {
                            out.extend(tok_reason(i, j, s, false));
                        }
                    }
                    if m.reordered {
                        out.push(Reason::Reordered);
                    }
                    if m.pairs.len() < m.total {
                        out.push(Reason::TokenOverlap {
                            matched: m.pairs.len().min(255) as u8,
                            total: m.total.min(255) as u8,
                        });
                    }
                }
                if self.corp_differs(pn, e) {
                    out.push(Reason::CorporateSuffixDiffers {
                        probe: pn.norm.corp.clone(),
                        party: self.corp_str(e).to_owned(),
                    });
                }
            }
        }
        if e.alias {
            out.push(Reason::Alias {
                alias: self.entry_name(e).to_owned(),
            });
        }
        out
    }
}

fn hit_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(b.score.total_cmp(&a.score))
        .then(a.probe.cmp(&b.probe))
        .then(a.party_id.cmp(&b.party_id))
}

impl FromIterator<Party> for Index {
    fn from_iter<I: IntoIterator<Item = Party>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut index = Index::new();
        let (lo, _) = iter.size_hint();
        index.parties.reserve(lo);
        index.entries.reserve(lo);
        index.by_id.reserve(lo);
        for p in iter {
            index.upsert(p);
        }
        // Bulk build: drop the growth slack of the posting lists.
        for list in &mut index.postings.lists {
            list.shrink_to_fit();
        }
        index
    }
}

impl Extend<Party> for Index {
    fn extend<I: IntoIterator<Item = Party>>(&mut self, iter: I) {
        for p in iter {
            self.upsert(p);
        }
    }
}
