//! [`Embedder`]: a caller's sentence → a 384-dimensional unit vector.
//!
//! The pipeline is sentence-transformers' for all-MiniLM-L6-v2
//! (`modules.json`: Transformer → Pooling → Normalize), step for step:
//! WordPiece tokens with `[CLS]`/`[SEP]`, truncated to the model's
//! `max_seq_length` (256); BERT's last hidden state; the mean over the
//! tokens the attention mask keeps (padding excluded, so a sentence embeds
//! the same alone or in a batch); L2 normalisation. A test compares the
//! output with vectors computed by sentence-transformers itself.
//!
//! CPU only, f32: on a short sentence the GPU transfer would cost more
//! than the model, and f32 keeps the output equal to the reference.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

/// Width of an embedding.
pub const DIM: usize = 384;

/// Token limit when the model folder does not say
/// (`sentence_bert_config.json`'s `max_seq_length`, 256 for this model).
const DEFAULT_MAX_TOKENS: usize = 256;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A file of the model folder is missing or unreadable.
    #[error(
        "cannot read {path}: {source} (is the model fetched? run scripts/models.sh)",
        path = path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A configuration file does not parse or describes another model.
    #[error("bad model configuration {path}: {reason}", path = path.display())]
    Config { path: PathBuf, reason: String },
    /// The tokenizer failed to load or to encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// candle failed (wrong weights file, shape mismatch).
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
}

/// A loaded all-MiniLM-L6-v2. Immutable after [`load`](Self::load), so one
/// instance serves every conversation at once (`Send + Sync`; wrap it in
/// an `Arc`).
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: usize,
}

#[derive(Deserialize)]
struct PoolingConfig {
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
}

fn read(path: PathBuf) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(&path).map_err(|source| EmbedError::Read { path, source })
}

fn parse<T: for<'de> Deserialize<'de>>(path: PathBuf) -> Result<T, EmbedError> {
    let bytes = read(path.clone())?;
    serde_json::from_slice(&bytes).map_err(|e| EmbedError::Config {
        path,
        reason: e.to_string(),
    })
}

impl Embedder {
    /// Loads the model from `dir` (the folder `scripts/models.sh` fills:
    /// `config.json`, `tokenizer.json`, `model.safetensors`, and
    /// optionally `sentence_bert_config.json` and `1_Pooling/config.json`,
    /// which are checked to describe mean pooling).
    ///
    /// Reads ~90 MB and takes well under a second; do it once at start.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        let device = Device::Cpu;
        let config: Config = parse(dir.join("config.json"))?;

        let pooling = dir.join("1_Pooling").join("config.json");
        if pooling.exists() {
            let p: PoolingConfig = parse(pooling.clone())?;
            if !p.pooling_mode_mean_tokens || p.pooling_mode_cls_token || p.pooling_mode_max_tokens
            {
                return Err(EmbedError::Config {
                    path: pooling,
                    reason: "only mean pooling is implemented".into(),
                });
            }
        }
        let st_config = dir.join("sentence_bert_config.json");
        let max_tokens = if st_config.exists() {
            parse::<SentenceBertConfig>(st_config)?.max_seq_length
        } else {
            DEFAULT_MAX_TOKENS
        }
        .min(config.max_position_embeddings);

        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer_json = read(tokenizer_path)?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_json)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // The shipped tokenizer.json pads every input to 128 tokens and
        // truncates at 128; sentence-transformers overrides both (no
        // padding for one sentence, truncation at max_seq_length).
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;

        let weights = read(dir.join("model.safetensors"))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(vb, &config)?;
        if config.hidden_size != DIM {
            return Err(EmbedError::Config {
                path: dir.join("config.json"),
                reason: format!("hidden_size {} is not {DIM}", config.hidden_size),
            });
        }
        Ok(Embedder {
            model,
            tokenizer,
            device,
        })
    }

    /// The unit-length embedding of `text`. Text past the token limit is
    /// cut off, as sentence-transformers does.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(self.forward(&[encoding])?.pop().unwrap_or_default())
    }

    /// Embeddings of several texts in one forward pass (padded to the
    /// longest; padding does not change a result). For indexing many
    /// sentences; a conversation turn embeds one.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = texts
            .iter()
            .map(|t| self.tokenizer.encode(*t, true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(self.forward(&encodings)?)
    }

    /// BERT over the padded batch, then masked mean pooling and L2
    /// normalisation.
    fn forward(&self, encodings: &[Encoding]) -> candle_core::Result<Vec<Vec<f32>>> {
        let n = encodings.len();
        let len = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let mut ids = vec![0u32; n * len];
        let mut types = vec![0u32; n * len];
        let mut mask = vec![0u32; n * len];
        for (row, e) in encodings.iter().enumerate() {
            let at = row * len;
            ids[at..at + e.len()].copy_from_slice(e.get_ids());
            types[at..at + e.len()].copy_from_slice(e.get_type_ids());
            mask[at..at + e.len()].copy_from_slice(e.get_attention_mask());
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
        let types = Tensor::from_vec(types, (n, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device)?;

        let hidden = self.model.forward(&ids, &types, Some(&mask))?; // (n, len, DIM)
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (n, len, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (n, DIM)
        // sentence-transformers clamps the token count at 1e-9 and
        // F.normalize the norm at 1e-12; neither triggers on real input.
        let counts = mask.sum(1)?.clamp(1e-9, f32::MAX)?; // (n, 1)
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
        mean.broadcast_div(&norm)?.to_vec2()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn embedder_can_be_shared_across_threads() {
        assert_send_sync::<Embedder>();
    }

    #[test]
    fn a_missing_model_names_the_setup_script() {
        let err = match Embedder::load(Path::new("/nonexistent/model")) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("loaded a model from nowhere"),
        };
        assert!(err.contains("scripts/models.sh"), "{err}");
    }
}
