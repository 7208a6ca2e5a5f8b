//! Reading a BERT token-classification ONNX export with 4-bit weights.
//!
//! Only the subset of `onnx.proto` (ONNX IR, `onnx/onnx.proto`, field numbers
//! unchanged) that holds the weights is declared here, as `prost` messages:
//! the model, its graph, nodes, attributes and tensors. Unknown fields are
//! skipped by the decoder, so any opset decodes. The graph itself is not
//! interpreted: the encoder is a fixed BERT, and the graph only tells which
//! initializer feeds which layer (each `MatMulNBits` node is followed by an
//! `Add` with a `<layer>.bias` initializer, which names the layer).
//!
//! Weight formats understood:
//! - `MatMulNBits` (domain `com.microsoft`), `bits = 4`, `block_size = 32`:
//!   `B` is `uint8[N][K/32][16]`, two 4-bit values a byte, the element with
//!   the even index in the low nibble; `scales` is `float[N][K/32]`; the
//!   optional `zero_points` is packed like `B` (default 8). A value is
//!   `(q - zero_point) * scale`.
//! - `DequantizeLinear` over `uint8` embedding tables with a per-tensor scale
//!   and zero point.
//! - plain `float` tensors for biases and layer norms.

use std::collections::HashMap;

use prost::Message;

/// `TensorProto.DataType` values used here.
pub(crate) const DT_FLOAT: i32 = 1;
pub(crate) const DT_UINT8: i32 = 2;
pub(crate) const DT_INT8: i32 = 3;

#[derive(Clone, PartialEq, Message)]
pub(crate) struct ModelProto {
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub op_type: String,
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    #[prost(string, tag = "7")]
    pub domain: String,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct AttributeProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(float, tag = "2")]
    pub f: f32,
    #[prost(int64, tag = "3")]
    pub i: i64,
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(string, tag = "8")]
    pub name: String,
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// A 4-bit block-quantized weight matrix `W[N][K]` (output rows of `K`
/// inputs), blocks of 32 along `K`.
#[derive(Debug, Clone)]
pub(crate) struct Q4Matrix {
    pub n: usize,
    pub k: usize,
    /// `N * K / 2` bytes, row-major, low nibble = even element.
    pub packed: Vec<u8>,
    /// `N * K / 32` scales.
    pub scales: Vec<f32>,
    /// `N * K / 32` zero points, `None` when all are 8.
    pub zero_points: Option<Vec<u8>>,
}

pub(crate) const Q4_BLOCK: usize = 32;

impl Q4Matrix {
    /// The matrix as `f32`, row-major `[N][K]`.
    pub fn dequantize(&self) -> Vec<f32> {
        let blocks_per_row = self.k / Q4_BLOCK;
        let mut out = vec![0f32; self.n * self.k];
        for (b, block) in self.packed.chunks_exact(Q4_BLOCK / 2).enumerate() {
            let scale = self.scales[b];
            let zp = self.zero_points.as_ref().map_or(8.0, |z| f32::from(z[b]));
            let base = (b / blocks_per_row) * self.k + (b % blocks_per_row) * Q4_BLOCK;
            for (j, byte) in block.iter().enumerate() {
                out[base + 2 * j] = (f32::from(byte & 0x0f) - zp) * scale;
                out[base + 2 * j + 1] = (f32::from(byte >> 4) - zp) * scale;
            }
        }
        out
    }

    /// GGML `Q4_0` blocks (`f16` scale, then 16 bytes: element `j` in the low
    /// nibble of byte `j`, element `j + 16` in its high nibble; value
    /// `(q - 8) * d`), or `None` when a zero point is not 8. The scale is
    /// rounded to `f16`, the only loss against the ONNX weights.
    pub fn to_ggml_q4_0(&self) -> Option<Vec<u8>> {
        if self.zero_points.is_some() {
            return None;
        }
        let mut out = Vec::with_capacity(self.scales.len() * 18);
        for (b, block) in self.packed.chunks_exact(Q4_BLOCK / 2).enumerate() {
            let mut q = [0u8; Q4_BLOCK];
            for (j, byte) in block.iter().enumerate() {
                q[2 * j] = byte & 0x0f;
                q[2 * j + 1] = byte >> 4;
            }
            out.extend_from_slice(&half::f16::from_f32(self.scales[b]).to_le_bytes());
            for j in 0..Q4_BLOCK / 2 {
                out.push(q[j] | (q[j + Q4_BLOCK / 2] << 4));
            }
        }
        Some(out)
    }
}

/// A `uint8` embedding table with one scale and zero point.
#[derive(Debug, Clone)]
pub(crate) struct U8Table {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<u8>,
    pub scale: f32,
    pub zero_point: f32,
}

/// Everything the encoder needs, by HF parameter name (without the `bert.`
/// prefix for layers: `encoder.layer.0.attention.self.query`, `classifier`).
#[derive(Debug)]
pub(crate) struct OnnxWeights {
    pub floats: HashMap<String, (Vec<usize>, Vec<f32>)>,
    pub matmuls: HashMap<String, Q4Matrix>,
    pub tables: HashMap<String, U8Table>,
}

fn dims(t: &TensorProto) -> Result<Vec<usize>, String> {
    t.dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("tensor `{}` has dimension {d}", t.name)))
        .collect()
}

fn float_values(t: &TensorProto) -> Result<Vec<f32>, String> {
    if t.data_type != DT_FLOAT {
        return Err(format!(
            "tensor `{}` is not float (type {})",
            t.name, t.data_type
        ));
    }
    if !t.raw_data.is_empty() {
        if t.raw_data.len() % 4 != 0 {
            return Err(format!("tensor `{}` has a truncated float payload", t.name));
        }
        Ok(t.raw_data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    } else {
        Ok(t.float_data.clone())
    }
}

fn byte_values(t: &TensorProto) -> Result<Vec<u8>, String> {
    if t.data_type != DT_UINT8 && t.data_type != DT_INT8 {
        return Err(format!(
            "tensor `{}` is not 8-bit (type {})",
            t.name, t.data_type
        ));
    }
    if !t.raw_data.is_empty() {
        Ok(t.raw_data.clone())
    } else {
        // Small 8-bit tensors may be stored widened in `int32_data`.
        Ok(t.int32_data.iter().map(|&v| v as u8).collect())
    }
}

fn check_len(name: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "tensor `{name}` holds {got} values, its shape says {want}"
        ))
    }
}

fn attr_i(node: &NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

/// The layer name an initializer or bias names: `bert.encoder.layer.0.x.bias`
/// gives `encoder.layer.0.x`, `classifier.bias` gives `classifier`.
fn layer_name(bias: &str) -> Option<String> {
    let base = bias.strip_suffix(".bias")?;
    Some(strip_model_prefix(base).to_owned())
}

pub(crate) fn strip_model_prefix(name: &str) -> &str {
    name.strip_prefix("bert.")
        .or_else(|| name.strip_prefix("distilbert."))
        .unwrap_or(name)
}

fn constant_value(node: &NodeProto) -> Result<TensorProto, ()> {
    node.attribute
        .iter()
        .find(|a| a.name == "value")
        .and_then(|a| a.t.clone())
        .ok_or(())
}

/// Decodes an ONNX file's bytes and pulls out the encoder's weights.
pub(crate) fn read_weights(bytes: &[u8]) -> Result<OnnxWeights, String> {
    let model = ModelProto::decode(bytes).map_err(|e| format!("not an ONNX model: {e}"))?;
    let graph = model
        .graph
        .ok_or_else(|| "the ONNX model has no graph".to_owned())?;
    let mut inits: HashMap<&str, &TensorProto> = HashMap::new();
    for t in &graph.initializer {
        if t.data_location != 0 {
            return Err(format!(
                "tensor `{}` uses external data, which is not supported",
                t.name
            ));
        }
        inits.insert(t.name.as_str(), t);
    }
    // Constant nodes may hold scalars (scales, zero points) too.
    let mut constants: HashMap<&str, TensorProto> = HashMap::new();
    for node in &graph.node {
        if node.op_type == "Constant" {
            if let (Some(out), Ok(t)) = (node.output.first(), constant_value(node)) {
                constants.insert(out.as_str(), t);
            }
        }
    }
    let lookup = |name: &str| -> Option<&TensorProto> {
        inits.get(name).copied().or_else(|| constants.get(name))
    };

    let mut floats = HashMap::new();
    for t in &graph.initializer {
        if t.data_type == DT_FLOAT && !t.dims.is_empty() {
            let d = dims(t)?;
            let v = float_values(t)?;
            check_len(&t.name, v.len(), d.iter().product())?;
            floats.insert(strip_model_prefix(&t.name).to_owned(), (d, v));
        }
    }

    // Which Add consumes a tensor, and with which bias initializer.
    let mut bias_of: HashMap<&str, &str> = HashMap::new();
    for node in graph
        .node
        .iter()
        .filter(|n| n.op_type == "Add" && n.input.len() == 2)
    {
        for (a, b) in [(0, 1), (1, 0)] {
            if node.input[a].ends_with(".bias") && inits.contains_key(node.input[a].as_str()) {
                bias_of.insert(node.input[b].as_str(), node.input[a].as_str());
            }
        }
    }

    let mut matmuls = HashMap::new();
    let mut tables = HashMap::new();
    for node in &graph.node {
        match node.op_type.as_str() {
            "MatMulNBits" => {
                let (Some(out), Some(b_name), Some(s_name)) =
                    (node.output.first(), node.input.get(1), node.input.get(2))
                else {
                    return Err(format!("MatMulNBits node `{}` lacks inputs", node.name));
                };
                let k = attr_i(node, "K").unwrap_or(0);
                let n = attr_i(node, "N").unwrap_or(0);
                let bits = attr_i(node, "bits").unwrap_or(4);
                let block = attr_i(node, "block_size").unwrap_or(0);
                if bits != 4 || block != Q4_BLOCK as i64 {
                    return Err(format!(
                        "MatMulNBits node `{}` has bits {bits} and block size {block}; only 4 and 32 are supported",
                        node.name
                    ));
                }
                let (k, n) = (
                    usize::try_from(k).map_err(|_| format!("bad K in `{}`", node.name))?,
                    usize::try_from(n).map_err(|_| format!("bad N in `{}`", node.name))?,
                );
                if k == 0 || n == 0 || k % Q4_BLOCK != 0 {
                    return Err(format!(
                        "MatMulNBits node `{}` has K {k} and N {n}",
                        node.name
                    ));
                }
                let b = lookup(b_name).ok_or_else(|| format!("missing initializer `{b_name}`"))?;
                let s = lookup(s_name).ok_or_else(|| format!("missing initializer `{s_name}`"))?;
                let packed = byte_values(b)?;
                check_len(b_name, packed.len(), n * k / 2)?;
                let scales = float_values(s)?;
                check_len(s_name, scales.len(), n * k / Q4_BLOCK)?;
                let zero_points = match node.input.get(3).filter(|z| !z.is_empty()) {
                    None => None,
                    Some(z_name) => {
                        let z = lookup(z_name)
                            .ok_or_else(|| format!("missing initializer `{z_name}`"))?;
                        let raw = byte_values(z)?;
                        // Packed two a byte, each row padded to whole bytes.
                        let blocks = k / Q4_BLOCK;
                        let row_bytes = blocks.div_ceil(2);
                        check_len(z_name, raw.len(), n * row_bytes)?;
                        let mut zp = Vec::with_capacity(n * blocks);
                        for r in 0..n {
                            for j in 0..blocks {
                                let byte = raw[r * row_bytes + j / 2];
                                zp.push(if j % 2 == 0 { byte & 0x0f } else { byte >> 4 });
                            }
                        }
                        if zp.iter().all(|&z| z == 8) {
                            None
                        } else {
                            Some(zp)
                        }
                    }
                };
                let layer = bias_of
                    .get(out.as_str())
                    .and_then(|bias| layer_name(bias))
                    .ok_or_else(|| {
                        format!(
                            "cannot tell which layer MatMulNBits node `{}` belongs to",
                            node.name
                        )
                    })?;
                matmuls.insert(
                    layer,
                    Q4Matrix {
                        n,
                        k,
                        packed,
                        scales,
                        zero_points,
                    },
                );
            }
            "DequantizeLinear" => {
                // Embedding tables: Gather(table_quantized) -> DequantizeLinear,
                // or DequantizeLinear(table_quantized) directly.
                let Some(x) = node.input.first() else {
                    continue;
                };
                let table_name = if inits.contains_key(x.as_str()) {
                    Some(x.as_str())
                } else {
                    graph
                        .node
                        .iter()
                        .find(|g| g.op_type == "Gather" && g.output.first() == Some(x))
                        .and_then(|g| g.input.first())
                        .map(String::as_str)
                };
                let Some(table) = table_name.and_then(|t| inits.get(t).copied()) else {
                    continue;
                };
                let Some(base) = table.name.strip_suffix("_quantized") else {
                    continue;
                };
                let Some(base) = base.strip_suffix(".weight") else {
                    continue;
                };
                let d = dims(table)?;
                if d.len() != 2 {
                    continue;
                }
                let data = byte_values(table)?;
                check_len(&table.name, data.len(), d[0] * d[1])?;
                if table.data_type != DT_UINT8 {
                    return Err(format!("embedding table `{}` is not uint8", table.name));
                }
                let scale_name = node
                    .input
                    .get(1)
                    .ok_or("DequantizeLinear without a scale")?;
                let scale = lookup(scale_name)
                    .ok_or_else(|| format!("missing scale `{scale_name}`"))
                    .and_then(float_values)?;
                let zero_point = match node.input.get(2).filter(|z| !z.is_empty()) {
                    Some(z) => lookup(z)
                        .ok_or_else(|| format!("missing zero point `{z}`"))
                        .and_then(byte_values)?,
                    None => vec![0],
                };
                let (Some(&scale), Some(&zero_point)) = (scale.first(), zero_point.first()) else {
                    return Err(format!("empty scale or zero point for `{}`", table.name));
                };
                tables.insert(
                    strip_model_prefix(base).to_owned(),
                    U8Table {
                        rows: d[0],
                        cols: d[1],
                        data,
                        scale,
                        zero_point: f32::from(zero_point),
                    },
                );
            }
            _ => {}
        }
    }
    Ok(OnnxWeights {
        floats,
        matmuls,
        tables,
    })
}
