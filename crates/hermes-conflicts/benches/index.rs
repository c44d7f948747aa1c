//! Conflict index benchmark: build time, memory per party, check latency,
//! recall/precision on generated variants, and a naive-scan baseline.
//!
//! `cargo bench -p hermes-conflicts --bench index`
//! (`HERMES_BENCH_PARTIES=100000` for a quick run; default 1,000,000.)
//!
//! Data are generated deterministically (seeded RNG): given names from the
//! nickname dataset with a Zipf-like popularity (so "james" and "john" are
//! as common as in real life), surnames from an embedded top-100 list plus
//! synthetic ones, also Zipf-like (so "smith" is ~1%), 10% organisations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hermes_conflicts::{
    CheckOptions, Index, MatterStatus, NewMatterRole, Party, PartyKind, PartyRole, Probe,
    dataset_names, normalized_tokens,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

struct Counting;
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        ALLOCATED.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new, Ordering::Relaxed);
        ALLOCATED.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TOP_GIVEN: &[&str] = &[
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "nancy",
    "daniel",
    "lisa",
    "matthew",
    "margaret",
    "anthony",
    "betty",
    "donald",
    "sandra",
    "mark",
    "ashley",
    "paul",
    "dorothy",
    "steven",
    "kimberly",
    "andrew",
    "emily",
    "kenneth",
    "donna",
];

const TOP_SURNAMES: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
    "cook",
    "rogers",
    "gutierrez",
    "ortiz",
    "morgan",
    "cooper",
    "peterson",
    "bailey",
    "reed",
    "kelly",
    "howard",
    "ramos",
    "kim",
    "cox",
    "ward",
    "richardson",
    "watson",
    "brooks",
    "chavez",
    "wood",
    "james",
    "bennett",
    "gray",
    "mendoza",
    "ruiz",
    "hughes",
    "price",
    "alvarez",
    "castillo",
    "sanders",
    "patel",
    "myers",
    "long",
    "ross",
    "foster",
    "jimenez",
];

const ORG_WORDS: &[&str] = &[
    "plumbing",
    "holdings",
    "capital",
    "logistics",
    "partners",
    "dental",
    "roofing",
    "bakery",
    "consulting",
    "media",
    "motors",
    "realty",
    "construction",
    "foods",
    "electric",
    "systems",
    "pharmacy",
    "insurance",
    "trucking",
    "landscaping",
    "apparel",
    "brewing",
    "analytics",
    "ventures",
    "imaging",
    "labs",
    "marine",
    "storage",
    "design",
    "energy",
];
const ORG_HEADS: &[&str] = &[
    "acme",
    "summit",
    "pioneer",
    "evergreen",
    "northstar",
    "bluewater",
    "redwood",
    "keystone",
    "liberty",
    "atlas",
    "harbor",
    "granite",
    "silverline",
    "sunrise",
    "meridian",
    "cobalt",
    "horizon",
    "falcon",
    "orchard",
    "prairie",
];
const SUFFIXES: &[&str] = &["LLC", "Inc.", "Corp.", "Co.", "Ltd.", "LLP", "P.C.", ""];

/// Picks from `items` with weight 1/(rank+10): a gentle Zipf, top item ≈1–2%.
struct Zipf {
    cumulative: Vec<f64>,
}
impl Zipf {
    fn new(n: usize) -> Self {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / (r as f64 + 10.0);
                acc
            })
            .collect();
        Zipf { cumulative }
    }
    fn sample(&self, rng: &mut StdRng) -> usize {
        let x = rng.random::<f64>() * self.cumulative.last().unwrap();
        self.cumulative.partition_point(|&c| c < x)
    }
}

fn synthetic_surnames(rng: &mut StdRng, n: usize) -> Vec<String> {
    const ONSET: &[&str] = &[
        "b", "br", "c", "ch", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s", "st",
        "t", "tr", "v", "w", "z", "sh", "bl",
    ];
    const VOWEL: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
    const CODA: &[&str] = &[
        "n", "r", "l", "s", "t", "rd", "ll", "nd", "rt", "ck", "m", "x", "ng", "son", "ton",
        "berg", "ski", "ez", "ley", "man", "",
    ];
    let mut out = std::collections::BTreeSet::new();
    while out.len() < n {
        let syl = rng.random_range(1..=2);
        let mut s = String::new();
        for _ in 0..syl {
            s.push_str(ONSET.choose(rng).unwrap());
            s.push_str(VOWEL.choose(rng).unwrap());
        }
        s.push_str(CODA.choose(rng).unwrap());
        if s.len() >= 4 && !TOP_SURNAMES.contains(&s.as_str()) {
            out.insert(s);
        }
    }
    let mut v: Vec<String> = out.into_iter().collect();
    // Shuffle so popularity is not alphabetical.
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
    v
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

struct Gen {
    given: Vec<String>,
    surnames: Vec<String>,
    zg: Zipf,
    zs: Zipf,
}

/// The generated name parts of a person (for making variants).
#[derive(Clone)]
struct PersonName {
    given: String,
    middle: Option<String>,
    surname: String,
}

impl PersonName {
    fn display(&self) -> String {
        match &self.middle {
            Some(m) => format!("{} {} {}", cap(&self.given), cap(m), cap(&self.surname)),
            None => format!("{} {}", cap(&self.given), cap(&self.surname)),
        }
    }
}

#[derive(Clone)]
struct OrgName {
    head: String,
    word: String,
    suffix: &'static str,
}

impl OrgName {
    fn display(&self) -> String {
        format!("{} {} {}", cap(&self.head), cap(&self.word), self.suffix)
            .trim()
            .to_owned()
    }
}

#[derive(Clone)]
enum Name {
    Person(PersonName),
    Org(OrgName),
}

impl Gen {
    fn new(rng: &mut StdRng) -> Self {
        let mut rest: Vec<String> = dataset_names()
            .filter(|n| n.len() >= 3 && !TOP_GIVEN.contains(n))
            .map(str::to_owned)
            .collect();
        rest.sort();
        for i in (1..rest.len()).rev() {
            let j = rng.random_range(0..=i);
            rest.swap(i, j);
        }
        let given: Vec<String> = TOP_GIVEN
            .iter()
            .map(|s| s.to_string())
            .chain(rest)
            .collect();
        let surnames: Vec<String> = TOP_SURNAMES
            .iter()
            .map(|s| s.to_string())
            .chain(synthetic_surnames(rng, 30_000))
            .collect();
        Gen {
            zg: Zipf::new(given.len()),
            zs: Zipf::new(surnames.len()),
            given,
            surnames,
        }
    }

    fn person(&self, rng: &mut StdRng) -> PersonName {
        let middle = if rng.random_bool(0.3) {
            Some(self.given[self.zg.sample(rng)].clone())
        } else {
            None
        };
        PersonName {
            given: self.given[self.zg.sample(rng)].clone(),
            middle,
            surname: self.surnames[self.zs.sample(rng)].clone(),
        }
    }

    fn org(&self, rng: &mut StdRng) -> OrgName {
        let head = if rng.random_bool(0.5) {
            self.surnames[self.zs.sample(rng)].clone()
        } else {
            ORG_HEADS.choose(rng).unwrap().to_string()
        };
        OrgName {
            head,
            word: ORG_WORDS.choose(rng).unwrap().to_string(),
            suffix: SUFFIXES.choose(rng).unwrap(),
        }
    }

    fn party(&self, rng: &mut StdRng) -> (Party, Name) {
        let org = rng.random_bool(0.1);
        let name = if org {
            Name::Org(self.org(rng))
        } else {
            Name::Person(self.person(rng))
        };
        let (kind, display, aliases) = match &name {
            Name::Person(p) => {
                let aliases = if rng.random_bool(0.05) {
                    vec![format!(
                        "{} {}",
                        cap(&p.given),
                        cap(&self.surnames[self.zs.sample(rng)])
                    )]
                } else {
                    vec![]
                };
                (PartyKind::Person, p.display(), aliases)
            }
            Name::Org(o) => (PartyKind::Organization, o.display(), vec![]),
        };
        let roles = PartyRole::ALL;
        let statuses = [
            MatterStatus::Open,
            MatterStatus::Pending,
            MatterStatus::Closed,
        ];
        let party = Party {
            id: uuid::Uuid::from_u128(rng.random()),
            kind,
            name: display,
            aliases,
            role: *roles.choose(rng).unwrap(),
            date_of_birth: (kind == PartyKind::Person && rng.random_bool(0.6)).then(|| {
                chrono::NaiveDate::from_num_days_from_ce_opt(rng.random_range(690_000..740_000))
                    .unwrap()
            }),
            phones: if rng.random_bool(0.5) {
                vec![format!(
                    "({}) {}-{:04}",
                    rng.random_range(200..999),
                    rng.random_range(200..999),
                    rng.random_range(0..10_000)
                )]
            } else {
                vec![]
            },
            emails: if rng.random_bool(0.3) {
                vec![format!("user{}@example.com", rng.random::<u32>())]
            } else {
                vec![]
            },
            matter_ref: None,
            matter_status: Some(*statuses.choose(rng).unwrap()),
        };
        (party, name)
    }
}

// ---------------------------------------------------------------- variants

fn transpose(s: &str, rng: &mut StdRng) -> String {
    let mut b: Vec<char> = s.chars().collect();
    if b.len() >= 3 {
        let i = rng.random_range(0..b.len() - 1);
        b.swap(i, i + 1);
    }
    b.into_iter().collect()
}

fn substitute(s: &str, rng: &mut StdRng) -> String {
    let mut b: Vec<char> = s.chars().collect();
    if b.len() >= 5 {
        // Not the first letter: a typo there is indistinguishable from
        // another name, and Jaro-Winkler rightly distrusts it.
        let i = rng.random_range(1..b.len());
        let c = (b'a' + rng.random_range(0..26u8)) as char;
        b[i] = if c == b[i] { 'x' } else { c };
    }
    b.into_iter().collect()
}

fn delete(s: &str, rng: &mut StdRng) -> String {
    let mut b: Vec<char> = s.chars().collect();
    if b.len() >= 5 {
        b.remove(rng.random_range(1..b.len()));
    }
    b.into_iter().collect()
}

fn insert_double(s: &str, rng: &mut StdRng) -> String {
    let mut b: Vec<char> = s.chars().collect();
    let i = rng.random_range(0..b.len());
    b.insert(i, b[i]);
    b.into_iter().collect()
}

/// Sound-preserving respellings, the first that applies.
fn respell(s: &str) -> Option<String> {
    const RULES: &[(&str, &str)] = &[
        ("ph", "f"),
        ("ck", "k"),
        ("th", "t"),
        ("ll", "l"),
        ("tt", "t"),
        ("ss", "s"),
        ("nn", "n"),
        ("rr", "r"),
        ("mm", "m"),
        ("ey", "ie"),
        ("ie", "ey"),
        ("y", "i"),
        ("i", "y"),
        ("c", "k"),
        ("s", "z"),
        ("z", "s"),
        ("ou", "ow"),
    ];
    for (a, b) in RULES {
        if let Some(pos) = s[1..].find(a) {
            let pos = pos + 1;
            return Some(format!("{}{}{}", &s[..pos], b, &s[pos + a.len()..]));
        }
    }
    None
}

const VARIANT_KINDS: &[&str] = &[
    "nickname",
    "typo: transposition",
    "typo: substitution",
    "typo: deletion",
    "typo: doubled letter",
    "phonetic respelling",
    "Last, First",
    "reordered tokens",
    "dropped middle name",
    "initial",
    "honorific/suffix/case/diacritics",
    "org: suffix changed",
    "org: suffix dropped",
    "org: typo",
    "org: reordered",
];

/// A true variant of `name` of kind `k`, or `None` if not applicable.
fn variant(name: &Name, k: &str, rng: &mut StdRng) -> Option<String> {
    match name {
        Name::Person(p) => {
            let mut v = p.clone();
            let surname_side = rng.random_bool(0.5);
            let tweak = |s: &str, rng: &mut StdRng| -> Option<String> {
                let t = match k {
                    "typo: transposition" => transpose(s, rng),
                    "typo: substitution" => substitute(s, rng),
                    "typo: deletion" => delete(s, rng),
                    "typo: doubled letter" => insert_double(s, rng),
                    "phonetic respelling" => respell(s)?,
                    _ => unreachable!(),
                };
                (t != s).then_some(t)
            };
            match k {
                "nickname" => {
                    let rel = hermes_conflicts_related(&p.given);
                    v.given = rel.choose(rng)?.clone();
                }
                k if k.starts_with("typo") || k == "phonetic respelling" => {
                    if surname_side {
                        v.surname = tweak(&p.surname, rng)?;
                    } else {
                        v.given = tweak(&p.given, rng)?;
                    }
                }
                "Last, First" => {
                    let mut s = format!("{}, {}", cap(&p.surname).to_uppercase(), cap(&p.given));
                    if let Some(m) = &p.middle {
                        s.push(' ');
                        s.push_str(&cap(m));
                    }
                    return Some(s);
                }
                "reordered tokens" => {
                    return Some(format!("{} {}", cap(&p.surname), cap(&p.given)));
                }
                "dropped middle name" => {
                    if v.middle.is_some() {
                        v.middle = None;
                    } else {
                        // Or an added middle initial.
                        v.middle = Some(((b'a' + rng.random_range(0..26u8)) as char).to_string());
                    }
                }
                "initial" => {
                    v.given = p.given[..1].to_owned();
                }
                "honorific/suffix/case/diacritics" => {
                    let g = p.given.replacen('e', "é", 1);
                    return Some(format!(
                        "Dr. {} {} Jr.",
                        cap(&g).to_uppercase(),
                        cap(&p.surname)
                    ));
                }
                _ => return None,
            }
            Some(v.display())
        }
        Name::Org(o) => {
            let mut v = o.clone();
            match k {
                "org: suffix changed" => {
                    v.suffix = *SUFFIXES
                        .iter()
                        .filter(|s| **s != o.suffix && !s.is_empty())
                        .collect::<Vec<_>>()
                        .choose(rng)?;
                }
                "org: suffix dropped" => {
                    if o.suffix.is_empty() {
                        return None;
                    }
                    v.suffix = "";
                }
                "org: typo" => {
                    if rng.random_bool(0.5) {
                        v.head = transpose(&o.head, rng);
                    } else {
                        v.word = transpose(&o.word, rng);
                    }
                }
                "org: reordered" => {
                    return Some(format!("{} {}, {}", cap(&o.word), cap(&o.head), o.suffix));
                }
                _ => return None,
            }
            Some(v.display())
        }
    }
}

/// Nickname relations as the crate sees them (via its public dataset):
/// we reconstruct them from the CSV for the generator.
fn hermes_conflicts_related(name: &str) -> Vec<String> {
    use std::sync::OnceLock;
    static REL: OnceLock<std::collections::HashMap<String, Vec<String>>> = OnceLock::new();
    REL.get_or_init(|| {
        let mut m: std::collections::HashMap<String, Vec<String>> = Default::default();
        for line in include_str!("../data/names.csv").lines().skip(1) {
            let cols: Vec<&str> = line.trim().split(',').collect();
            if cols.len() == 3 {
                let (a, b) = (cols[0].replace('.', ""), cols[2].replace('.', ""));
                m.entry(a.clone()).or_default().push(b.clone());
                m.entry(b).or_default().push(a);
            }
        }
        m
    })
    .get(name)
    .cloned()
    .unwrap_or_default()
}

/// A near miss of `name`: should NOT hit the original party.
fn near_miss(name: &Name, g: &Gen, rng: &mut StdRng) -> Option<(String, &'static str)> {
    match name {
        Name::Person(p) => {
            if rng.random_bool(0.5) {
                // Another given name: not a nickname, typo or sound-alike.
                for _ in 0..50 {
                    let other = &g.given[g.zg.sample(rng)];
                    if other != &p.given
                        && !hermes_conflicts_related(&p.given).contains(other)
                        && strsim::jaro_winkler(other, &p.given) < 0.8
                        && other[..1] != p.given[..1]
                    {
                        let v = PersonName {
                            given: other.clone(),
                            ..p.clone()
                        };
                        return Some((v.display(), "other given name, same surname"));
                    }
                }
                None
            } else {
                let ext = ["ers", "son", "ley", "ington"].choose(rng).unwrap();
                let v = PersonName {
                    surname: format!("{}{}", p.surname, ext),
                    ..p.clone()
                };
                Some((v.display(), "same given name, longer surname"))
            }
        }
        Name::Org(o) => {
            let other = ORG_WORDS
                .iter()
                .filter(|w| **w != o.word)
                .collect::<Vec<_>>();
            let v = OrgName {
                word: other.choose(rng)?.to_string(),
                ..o.clone()
            };
            Some((v.display(), "org: other business word"))
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::var("HERMES_BENCH_PARTIES")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let checks: usize = std::env::var("HERMES_BENCH_CHECKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut rng = StdRng::seed_from_u64(0x04E1_23E5);
    let g = Gen::new(&mut rng);

    let t = Instant::now();
    let mut parties = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    for _ in 0..n {
        let (p, name) = g.party(&mut rng);
        parties.push(p);
        names.push(name);
    }
    let gen_time = t.elapsed();

    let before = ALLOCATED.load(Ordering::Relaxed);
    let t = Instant::now();
    let index: Index = parties.iter().cloned().collect();
    let build = t.elapsed();
    let index_bytes = ALLOCATED.load(Ordering::Relaxed).saturating_sub(before);
    let stats = index.stats();

    // ---- latency: each check = a client probe + an adverse probe; half
    // are variants of indexed names (they hit), half fresh names.
    let opts = CheckOptions::default();
    let mut lat = Vec::with_capacity(checks);
    let mut total_hits = 0usize;
    let mut probe_sets = Vec::with_capacity(checks);
    for c in 0..checks {
        let mk = |rng: &mut StdRng, role| {
            let name = if c % 2 == 0 {
                let i = rng.random_range(0..n);
                let k = VARIANT_KINDS.choose(rng).unwrap();
                variant(&names[i], k, rng).unwrap_or_else(|| parties[i].name.clone())
            } else {
                match g.party(rng).1 {
                    Name::Person(p) => p.display(),
                    Name::Org(o) => o.display(),
                }
            };
            Probe::new(name, role)
        };
        probe_sets.push(vec![
            mk(&mut rng, NewMatterRole::Client),
            mk(&mut rng, NewMatterRole::Adverse),
        ]);
    }
    let mut cand_counts: Vec<usize> = probe_sets
        .iter()
        .flat_map(|ps| ps.iter().map(|p| index.candidate_count(p)))
        .collect();
    cand_counts.sort_unstable();
    for probes in &probe_sets {
        let t = Instant::now();
        let out = index.check(probes, &opts);
        lat.push(t.elapsed());
        total_hits += out.hits.len();
    }
    let mean = lat.iter().sum::<Duration>() / lat.len() as u32;
    lat.sort();
    // The same probes, one per check.
    let mut lat1 = Vec::with_capacity(checks * 2);
    for probes in &probe_sets {
        for p in probes {
            let t = Instant::now();
            let out = index.check(std::slice::from_ref(p), &opts);
            lat1.push(t.elapsed());
            std::hint::black_box(out);
        }
    }
    lat1.sort();

    // ---- quality
    let all = CheckOptions {
        max_hits_per_probe: usize::MAX,
        ..opts
    };
    let per_kind = if n >= 500_000 { 700 } else { 300 };
    let mut rows = Vec::new();
    let (mut tp, mut total_v) = (0usize, 0usize);
    let mut misses = Vec::new();
    let mut variant_probes = Vec::new();
    for k in VARIANT_KINDS {
        let (mut ok, mut tot) = (0, 0);
        let mut tries = 0;
        while tot < per_kind && tries < per_kind * 50 {
            tries += 1;
            let i = rng.random_range(0..n);
            let Some(v) = variant(&names[i], k, &mut rng) else {
                continue;
            };
            tot += 1;
            let out = index.check(&[Probe::new(v.clone(), NewMatterRole::Adverse)], &all);
            if out.hits.iter().any(|h| h.party_id == parties[i].id) {
                ok += 1;
            } else if misses.len() < 25 {
                misses.push(format!("{k}: {:?} → {:?}", parties[i].name, v));
            }
            if variant_probes.len() < 100 * VARIANT_KINDS.len() && tot <= 100 {
                variant_probes.push((v, parties[i].id));
            }
        }
        tp += ok;
        total_v += tot;
        rows.push((k, ok, tot));
    }
    let recall = tp as f64 / total_v as f64;

    let mut fp = 0usize;
    let mut total_nm = 0usize;
    let mut nm_rows: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut fps = Vec::new();
    while total_nm < 3000 {
        let i = rng.random_range(0..n);
        let Some((v, kind)) = near_miss(&names[i], &g, &mut rng) else {
            continue;
        };
        total_nm += 1;
        let out = index.check(&[Probe::new(v.clone(), NewMatterRole::Adverse)], &all);
        let hit = out.hits.iter().any(|h| h.party_id == parties[i].id);
        let e = nm_rows.entry(kind).or_default();
        e.1 += 1;
        if hit {
            fp += 1;
            e.0 += 1;
            if fps.len() < 10 {
                fps.push(format!("{kind}: {:?} → {:?}", parties[i].name, v));
            }
        }
    }
    let precision = tp as f64 / (tp + fp) as f64;

    // ---- naive baseline: Jaro-Winkler of the full normalised name against
    // every party, on a smaller number of checks.
    let naive_names: Vec<String> = parties
        .iter()
        .map(|p| normalized_tokens(&p.name, Some(p.kind)).join(" "))
        .collect();
    let naive_n = if std::env::var("HERMES_BENCH_NAIVE").as_deref() == Ok("0") {
        1
    } else if n >= 500_000 {
        50
    } else {
        200
    };
    let step = (variant_probes.len() / naive_n).max(1);
    let sample: Vec<&(String, uuid::Uuid)> =
        variant_probes.iter().step_by(step).take(naive_n).collect();
    let t = Instant::now();
    let mut naive_found = 0;
    for (v, id) in &sample {
        let q = normalized_tokens(v, None).join(" ");
        let mut found = false;
        for (j, s) in naive_names.iter().enumerate() {
            if strsim::jaro_winkler(&q, s) >= 0.9 && parties[j].id == *id {
                found = true;
            }
        }
        naive_found += found as usize;
    }
    let naive_mean = t.elapsed() / sample.len() as u32;
    let t = Instant::now();
    let mut idx_found = 0;
    for (v, id) in &sample {
        let out = index.check(&[Probe::new(v.clone(), NewMatterRole::Adverse)], &all);
        idx_found += out.hits.iter().any(|h| h.party_id == *id) as usize;
    }
    let idx_mean = t.elapsed() / sample.len() as u32;

    // ---- report
    println!("## hermes-conflicts index benchmark\n");
    println!(
        "{n} generated parties (seeded; ~10% organisations, 30% with a middle name, 5% with an alias; Zipf-like name popularity), one core, release build.\n"
    );
    println!("| metric | value |\n|---|---|");
    println!("| data generation | {:.2} s |", gen_time.as_secs_f64());
    println!(
        "| index build | {:.2} s ({:.0} parties/s) |",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64()
    );
    println!(
        "| index memory | {:.1} MiB, **{:.0} bytes/party** |",
        index_bytes as f64 / (1 << 20) as f64,
        index_bytes as f64 / n as f64
    );
    println!(
        "| names / distinct tokens / keys / postings | {} / {} / {} / {} |",
        stats.names, stats.distinct_tokens, stats.distinct_keys, stats.postings
    );
    println!(
        "| checks (2 probes each: client + adverse) | {} |",
        lat.len()
    );
    println!(
        "| candidates scored per probe p50 / p95 / max | {} / {} / {} |",
        cand_counts[cand_counts.len() / 2],
        cand_counts[cand_counts.len() * 95 / 100],
        cand_counts.last().unwrap()
    );
    println!("| check latency p50 | {} |", ms(pct(&lat, 0.50)));
    println!("| check latency p95 | **{}** |", ms(pct(&lat, 0.95)));
    println!("| check latency p99 | {} |", ms(pct(&lat, 0.99)));
    println!("| check latency max | {} |", ms(*lat.last().unwrap()));
    println!("| check latency mean | {} |", ms(mean));
    println!(
        "| single-probe check latency p50 / p95 / p99 / max | {} / {} / {} / {} |",
        ms(pct(&lat1, 0.50)),
        ms(pct(&lat1, 0.95)),
        ms(pct(&lat1, 0.99)),
        ms(*lat1.last().unwrap())
    );
    println!(
        "| hits per check (mean, ≤10 per probe) | {:.2} |",
        total_hits as f64 / lat.len() as f64
    );
    println!(
        "| recall on true variants (threshold {}) | **{:.2}%** ({tp}/{total_v}) |",
        opts.threshold,
        recall * 100.0
    );
    println!(
        "| near misses hitting their original | {:.2}% ({fp}/{total_nm}) |",
        fp as f64 * 100.0 / total_nm as f64
    );
    println!(
        "| precision (variants vs near misses) | {:.2}% |",
        precision * 100.0
    );
    println!(
        "| naive scan (JW ≥ 0.9 on full name, all parties) | {} per probe, recall {}/{} |",
        ms(naive_mean),
        naive_found,
        sample.len()
    );
    println!(
        "| index, same probes | {} per probe, recall {}/{} |",
        ms(idx_mean),
        idx_found,
        sample.len()
    );
    println!(
        "| speed-up over naive scan | **{:.0}×** |",
        naive_mean.as_secs_f64() / idx_mean.as_secs_f64()
    );
    println!("\n### Recall by variant kind\n\n| variant | found | recall |\n|---|---|---|");
    for (k, ok, tot) in rows {
        println!(
            "| {k} | {ok}/{tot} | {:.1}% |",
            ok as f64 * 100.0 / tot.max(1) as f64
        );
    }
    println!(
        "\n### Near misses (must not hit)\n\n| near miss | hit original | rate |\n|---|---|---|"
    );
    for (k, (h, t)) in nm_rows {
        println!("| {k} | {h}/{t} | {:.2}% |", h as f64 * 100.0 / t as f64);
    }
    if !misses.is_empty() {
        println!("\nSample misses:");
        for m in misses {
            println!("- {m}");
        }
    }
    if !fps.is_empty() {
        println!("\nSample near-miss hits:");
        for f in fps {
            println!("- {f}");
        }
    }
}
