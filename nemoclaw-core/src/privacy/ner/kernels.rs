//! Fused CPU kernels for the encoder, as Candle custom ops: projections with
//! prepacked weights (bias, and erf-GELU for the feed-forward, in the same
//! pass; `matmul.rs`), multi-head attention straight from the fused `qkv`
//! projection, bias + erf-GELU for the quantized path, and residual plus
//! layer norm (with the bias when the projection did not add it). Each
//! replaces two or more Candle ops (and their intermediate tensors) with one
//! pass, and uses branch-free polynomial `erf` and `exp` that the compiler
//! vectorizes, instead of scalar `libm` calls. Used on the CPU only; other
//! devices keep Candle's composed ops.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape};

use super::matmul::{attention, Epilogue, PackedLinear};

type CResult<T> = candle_core::Result<T>;

/// The contiguous `f32` data of a CPU tensor.
fn slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> CResult<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => Err(candle_core::Error::Msg(
            "fused NER kernel needs a contiguous tensor".to_owned(),
        )),
    }
}

/// `erf(x)` for `f32`: the rational approximation used by Eigen and XLA,
/// inputs clamped to `[-4, 4]`; absolute error below 5·10⁻⁷.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_600_2e-3;
    p = p * x2 - 1.609_603_3e-2;
    p *= x;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329e-3;
    q = q * x2 - 1.426_473_9e-2;
    p / q
}

/// `exp(x)` for `f32` (Cephes `expf`: range reduction by `ln 2`, degree-5
/// polynomial, exponent built from bits); relative error about 1 ulp, inputs
/// below −87 give ≈ 0.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Float reductions do not vectorize in order; eight independent lanes do.
const LANES: usize = 8;

#[inline(always)]
pub(crate) fn lane_max(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = a.max(x);
        }
    }
    tail.iter()
        .chain(&acc)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

#[inline(always)]
pub(crate) fn lane_sum(v: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    tail.iter().chain(&acc).sum()
}

/// `gelu(x + bias)` (erf form), `bias` repeated along the last dimension.
pub(crate) struct BiasGeluErf<'a>(pub &'a [f32]);

impl CustomOp1 for BiasGeluErf<'_> {
    fn name(&self) -> &'static str {
        "ner-bias-gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> CResult<(CpuStorage, Shape)> {
        let x = slice(storage, layout)?;
        let n = self.0.len();
        if n == 0 || x.len() % n != 0 {
            return Err(candle_core::Error::Msg("bias does not match".to_owned()));
        }
        let mut out = vec![0f32; x.len()];
        for (o, xs) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            for ((o, &v), &b) in o.iter_mut().zip(xs).zip(self.0) {
                let v = v + b;
                *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// `x · Wᵀ + b` (then the epilogue) with prepacked weights, over the last
/// dimension of a contiguous tensor.
pub(crate) struct PackedLinearOp<'a>(pub &'a PackedLinear, pub Epilogue);

impl CustomOp1 for PackedLinearOp<'_> {
    fn name(&self) -> &'static str {
        "ner-packed-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> CResult<(CpuStorage, Shape)> {
        let x = slice(storage, layout)?;
        let mut dims = layout.shape().dims().to_vec();
        let k = self.0.k();
        if dims.last() != Some(&k) {
            return Err(candle_core::Error::Msg(format!(
                "linear input has {dims:?}, expected last dimension {k}"
            )));
        }
        let m = x.len() / k;
        let out = self
            .0
            .forward(x, m, self.1)
            .ok_or_else(|| candle_core::Error::Msg("linear sizes disagree".to_owned()))?;
        if let Some(last) = dims.last_mut() {
            *last = self.0.n();
        }
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

/// Multi-head self-attention on the fused `qkv` projection `[b·l, 3h]`
/// (see [`attention`](super::matmul::attention)); output `[b·l, h]`.
pub(crate) struct FusedAttention<'a> {
    pub l: usize,
    pub heads: usize,
    pub lens: &'a [usize],
    /// Applied to the scores (1 when the query rows carry it already).
    pub scale: f32,
}

impl CustomOp1 for FusedAttention<'_> {
    fn name(&self) -> &'static str {
        "ner-fused-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> CResult<(CpuStorage, Shape)> {
        let x = slice(storage, layout)?;
        let dims = layout.shape().dims();
        let ctx = attention(x, self.l, self.heads, self.lens, self.scale)
            .ok_or_else(|| candle_core::Error::Msg(format!("attention input {dims:?}")))?;
        let rows = self.lens.len() * self.l;
        Ok((
            CpuStorage::F32(ctx),
            Shape::from((rows, x.len() / rows / 3)),
        ))
    }
}

/// `layer_norm(x + bias + residual)` over the last dimension (no bias when
/// `bias` is empty).
pub(crate) struct BiasResidualLayerNorm<'a> {
    pub bias: &'a [f32],
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
    pub eps: f32,
}

impl CustomOp2 for BiasResidualLayerNorm<'_> {
    fn name(&self) -> &'static str {
        "ner-bias-residual-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let x = slice(s1, l1)?;
        let r = slice(s2, l2)?;
        let n = self.gamma.len();
        let zeros;
        let bias = if self.bias.is_empty() {
            zeros = vec![0f32; n];
            &zeros
        } else {
            self.bias
        };
        if n == 0
            || bias.len() != n
            || x.len() != r.len()
            || x.len() % n != 0
            || self.gamma.len() != n
            || self.beta.len() != n
        {
            return Err(candle_core::Error::Msg(
                "layer norm sizes disagree".to_owned(),
            ));
        }
        let mut out = vec![0f32; x.len()];
        for ((o, xs), rs) in out
            .chunks_exact_mut(n)
            .zip(x.chunks_exact(n))
            .zip(r.chunks_exact(n))
        {
            let mut sum = 0f32;
            for (((o, &v), &b), &res) in o.iter_mut().zip(xs).zip(bias).zip(rs) {
                let v = v + b + res;
                *o = v;
                sum += v;
            }
            let mean = sum / n as f32;
            let mut var = 0f32;
            for o in o.iter_mut() {
                *o -= mean;
                var += *o * *o;
            }
            let inv = 1.0 / (var / n as f32 + self.eps).sqrt();
            for ((o, &g), &b) in o.iter_mut().zip(self.gamma).zip(self.beta) {
                *o = *o * inv * g + b;
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_erf_and_exp_are_exact_enough() {
        let mut worst_erf = 0f64;
        let mut worst_exp = 0f64;
        for i in -60_000..=60_000 {
            let x = i as f32 / 10_000.0;
            worst_erf = worst_erf
                .max((f64::from(erf(x)) - candle_core::cpu::erf::erf_f64(f64::from(x))).abs());
            let e = f64::from(x).exp();
            worst_exp = worst_exp.max((f64::from(exp(x)) - e).abs() / e);
        }
        assert!(worst_erf < 1e-6, "erf error {worst_erf}");
        assert!(worst_exp < 1e-6, "exp relative error {worst_exp}");
        assert!(exp(-1e30) < 1e-37);
    }
}
