//! `y = x · Wᵀ + b` on the CPU with weights packed once, at load.
//!
//! Candle's CPU matmul calls `gemm`, which re-packs the right-hand side on
//! every call; with the 26 to 512 rows of a NER window that copy costs about
//! as much as the product itself. Here each projection's weight is laid out
//! at load in panels of `NR` output features (`[k][NR]`, row-major,
//! zero-padded), exactly the order in which the register-blocked kernel reads
//! it, with the bias stored the same way. The kernel keeps an `MR × NR` block
//! of the output in vector registers (`MR` = 8 rows by two vectors with
//! AVX-512, 6 rows with AVX2), starts it from the bias, accumulates with FMA
//! over `k`, and optionally applies erf-GELU before the single store.
//!
//! The SIMD code is safe Rust on `pulp` (the portable SIMD layer `gemm`
//! itself is built on), which detects AVX-512 / AVX2+FMA / NEON at run time.

use pulp::{Arch, Simd, WithSimd};

use super::kernels::{erf, exp, lane_max, lane_sum};

/// What is applied to `x · Wᵀ + b` before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Epilogue {
    /// Nothing.
    Bias,
    /// `gelu(·)`, erf form.
    GeluErf,
}

/// A `[n, k]` weight (one row per output feature) and its bias, packed for
/// `x · Wᵀ + b`.
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedLinear {
    n: usize,
    k: usize,
    /// Output features per panel: two SIMD vectors of the running CPU.
    nr: usize,
    /// `panels × k × nr`.
    data: Vec<f32>,
    /// `panels × nr`.
    bias: Vec<f32>,
}

/// `f32` lanes of the widest SIMD level this CPU supports.
fn simd_lanes() -> usize {
    struct Lanes;
    impl WithSimd for Lanes {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> usize {
            S::F32_LANES
        }
    }
    Arch::new().dispatch(Lanes)
}

impl PackedLinear {
    /// Packs `w` (`[n, k]` row-major) and `bias` (`[n]`); `None` when the
    /// sizes disagree.
    pub fn new(w: &[f32], bias: &[f32], n: usize, k: usize) -> Option<Self> {
        if n == 0 || k == 0 || w.len() != n * k || bias.len() != n {
            return None;
        }
        let mut p = Self::default();
        p.repack(n, k, |j, t| w[j * k + t]);
        for (j, &b) in bias.iter().enumerate() {
            p.bias[(j / p.nr) * p.nr + j % p.nr] = b;
        }
        Some(p)
    }

    /// Re-fills with `w[j][t] = get(j, t)` for `j < n`, `t < k`, a zero
    /// bias, reusing the buffers.
    pub fn repack(&mut self, n: usize, k: usize, get: impl Fn(usize, usize) -> f32) {
        let nr = 2 * simd_lanes();
        let panels = n.div_ceil(nr);
        self.n = n;
        self.k = k;
        self.nr = nr;
        self.data.clear();
        self.data.resize(panels * k * nr, 0.0);
        self.bias.clear();
        self.bias.resize(panels * nr, 0.0);
        for (p, panel) in self.data.chunks_exact_mut(k * nr).enumerate() {
            let cols = nr.min(n - p * nr);
            for (t, dst) in panel.chunks_exact_mut(nr).enumerate() {
                for (c, d) in dst[..cols].iter_mut().enumerate() {
                    *d = get(p * nr + c, t);
                }
            }
        }
    }

    /// Output features.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Input features.
    pub fn k(&self) -> usize {
        self.k
    }

    /// `x · Wᵀ + b` then `epilogue`, for `x` of `m × k` (row-major);
    /// `None` when `x` is not `m × k`.
    pub fn forward(&self, x: &[f32], m: usize, epilogue: Epilogue) -> Option<Vec<f32>> {
        if x.len() != m * self.k {
            return None;
        }
        let mut out = vec![0f32; m * self.n];
        if m > 0 {
            Arch::new().dispatch(Kernel {
                w: self,
                x,
                ldx: self.k,
                m,
                out: &mut out,
                ldo: self.n,
                epilogue,
            })?;
        }
        Some(out)
    }
}

/// `out[r·ldo + j] = epilogue(b[j] + Σₜ x[r·ldx + t] · w[j][t])` for
/// `r < m`, `j < n`.
struct Kernel<'a> {
    w: &'a PackedLinear,
    x: &'a [f32],
    ldx: usize,
    m: usize,
    out: &'a mut [f32],
    ldo: usize,
    epilogue: Epilogue,
}

impl WithSimd for Kernel<'_> {
    type Output = Option<()>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Option<()> {
        gemm(simd, self)
    }
}

/// The body of [`Kernel`] under a SIMD level.
#[inline(always)]
fn gemm<S: Simd>(simd: S, kernel: Kernel<'_>) -> Option<()> {
    let Kernel {
        w,
        x,
        ldx,
        m,
        out,
        ldo,
        epilogue,
    } = kernel;
    let (n, k, nr) = (w.n, w.k, w.nr);
    // Packed under another SIMD level (cannot happen within a process), or
    // operands too short.
    if nr != 2 * S::F32_LANES
        || m == 0
        || ldx < k
        || ldo < n
        || x.len() < (m - 1) * ldx + k
        || out.len() < (m - 1) * ldo + n
    {
        return if m == 0 { Some(()) } else { None };
    }
    // Rows of `x` per pass over all panels: keep them within ~256 KiB so
    // they stay in L2 while every panel streams past.
    let mc = ((65_536 / k).max(MR) / MR) * MR;
    let panels = n.div_ceil(nr);
    let mut m0 = 0;
    while m0 < m {
        let mb = mc.min(m - m0);
        for p in 0..panels {
            let panel = &w.data[p * k * nr..(p + 1) * k * nr];
            let (wv, _) = S::as_simd_f32s(panel);
            let (bv, _) = S::as_simd_f32s(&w.bias[p * nr..(p + 1) * nr]);
            let bias = [bv[0], bv[1]];
            let col0 = p * nr;
            let cols = nr.min(n - col0);
            let mut r = m0;
            while r < m0 + mb {
                let rows = MR.min(m0 + mb - r);
                let xs = &x[r * ldx..];
                let os = &mut out[r * ldo..];
                let t = Tile {
                    k,
                    ldx,
                    ldo,
                    col0,
                    cols,
                };
                match rows {
                    MR => tile::<S, MR>(simd, xs, wv, bias, os, t),
                    7 => tile::<S, 7>(simd, xs, wv, bias, os, t),
                    6 => tile::<S, 6>(simd, xs, wv, bias, os, t),
                    5 => tile::<S, 5>(simd, xs, wv, bias, os, t),
                    4 => tile::<S, 4>(simd, xs, wv, bias, os, t),
                    3 => tile::<S, 3>(simd, xs, wv, bias, os, t),
                    2 => tile::<S, 2>(simd, xs, wv, bias, os, t),
                    _ => tile::<S, 1>(simd, xs, wv, bias, os, t),
                }
                r += rows;
            }
        }
        if epilogue == Epilogue::GeluErf {
            for r in m0..m0 + mb {
                gelu_erf(&mut out[r * ldo..r * ldo + n]);
            }
        }
        m0 += mb;
    }
    Some(())
}

/// Multi-head self-attention on a fused projection: `qkv` is `[b·l, 3h]`
/// (queries, already scaled, then keys, then values, each `heads × d`),
/// item `s` of the batch has `lens[s]` real tokens and keys past them are
/// ignored; scores are multiplied by `scale` (> 0). Returns the context `[b·l, h]` (rows of padding stay zero), or
/// `None` when the sizes disagree.
pub(crate) fn attention(
    qkv: &[f32],
    l: usize,
    heads: usize,
    lens: &[usize],
    scale: f32,
) -> Option<Vec<f32>> {
    let b = lens.len();
    if b == 0 || l == 0 || heads == 0 || qkv.len() % (b * l * 3) != 0 {
        return None;
    }
    let h = qkv.len() / (b * l * 3);
    if h % heads != 0 {
        return None;
    }
    let d = h / heads;
    let mut ctx = vec![0f32; b * l * h];
    let mut keys = PackedLinear::default();
    let mut values = PackedLinear::default();
    // Query rows per block: their scores stay in L2.
    const QB: usize = 64;
    let mut scores = vec![0f32; QB * l];
    for (s, &len) in lens.iter().enumerate() {
        let len = len.min(l);
        if len == 0 {
            continue;
        }
        let row = |j: usize| (s * l + j) * 3 * h;
        for hd in 0..heads {
            keys.repack(len, d, |j, t| qkv[row(j) + h + hd * d + t]);
            values.repack(d, len, |j, t| qkv[row(t) + 2 * h + hd * d + j]);
            let mut i0 = 0;
            while i0 < len {
                let rows = QB.min(len - i0);
                let sc = &mut scores[..rows * len];
                Arch::new().dispatch(Kernel {
                    w: &keys,
                    x: &qkv[row(i0) + hd * d..],
                    ldx: 3 * h,
                    m: rows,
                    out: sc,
                    ldo: len,
                    epilogue: Epilogue::Bias,
                })?;
                for r in sc.chunks_exact_mut(len) {
                    softmax_in_place(r, scale);
                }
                Arch::new().dispatch(Kernel {
                    w: &values,
                    x: sc,
                    ldx: len,
                    m: rows,
                    out: &mut ctx[(s * l + i0) * h + hd * d..],
                    ldo: h,
                    epilogue: Epilogue::Bias,
                })?;
                i0 += rows;
            }
        }
    }
    Some(ctx)
}

/// Softmax of one row in place.
fn softmax_in_place(row: &mut [f32], scale: f32) {
    struct Softmax<'a>(&'a mut [f32], f32);
    impl WithSimd for Softmax<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) {
            let (row, scale) = (self.0, self.1);
            let max = lane_max(row);
            for v in row.iter_mut() {
                *v = exp((*v - max) * scale);
            }
            let inv = 1.0 / lane_sum(row);
            for v in row.iter_mut() {
                *v *= inv;
            }
        }
    }
    Arch::new().dispatch(Softmax(row, scale));
}

/// Where one register tile reads and writes.
#[derive(Clone, Copy)]
struct Tile {
    k: usize,
    ldx: usize,
    ldo: usize,
    col0: usize,
    cols: usize,
}

/// Rows per register block (8 × 2 accumulators fit AVX-512's 32 registers
/// with room for the weights; AVX2's 16 registers take 6 × 2).
const MR: usize = 8;

/// One `R × nr` block of the output: `out[r·ldo + col0 + c] = bias[c] +
/// Σₜ x[r·ldx + t] · panel[t][c]` for `c < cols`.
#[inline(always)]
fn tile<S: Simd, const R: usize>(
    simd: S,
    x: &[f32],
    w: &[S::f32s],
    bias: [S::f32s; 2],
    out: &mut [f32],
    t: Tile,
) {
    let Tile {
        k,
        ldx,
        ldo,
        col0,
        cols,
    } = t;
    // AVX2 has 16 vector registers: split 7- and 8-row blocks in two.
    if S::F32_LANES < 16 && R > 6 {
        let (o1, o2) = out.split_at_mut(4 * ldo);
        tile::<S, 4>(simd, x, w, bias, o1, t);
        match R {
            8 => tile::<S, 4>(simd, &x[4 * ldx..], w, bias, o2, t),
            _ => tile::<S, 3>(simd, &x[4 * ldx..], w, bias, o2, t),
        }
        return;
    }
    let mut acc = [bias; R];
    let xs: [&[f32]; R] = core::array::from_fn(|r| &x[r * ldx..r * ldx + k]);
    let w = &w[..2 * k];
    for kk in 0..k {
        let w0 = w[2 * kk];
        let w1 = w[2 * kk + 1];
        for r in 0..R {
            let a = simd.splat_f32s(xs[r][kk]);
            acc[r][0] = simd.mul_add_f32s(a, w0, acc[r][0]);
            acc[r][1] = simd.mul_add_f32s(a, w1, acc[r][1]);
        }
    }
    let lanes = S::F32_LANES;
    for (r, a) in acc.iter().enumerate() {
        let row = &mut out[r * ldo + col0..r * ldo + col0 + cols];
        if cols == 2 * lanes {
            let (v, _) = S::as_mut_simd_f32s(row);
            v[0] = a[0];
            v[1] = a[1];
        } else {
            let (lo, hi) = row.split_at_mut(cols.min(lanes));
            simd.partial_store_f32s(lo, a[0]);
            if !hi.is_empty() {
                simd.partial_store_f32s(hi, a[1]);
            }
        }
    }
}

/// `gelu(x)` (erf form) in place.
#[inline(always)]
fn gelu_erf(v: &mut [f32]) {
    for x in v {
        *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(w: &[f32], b: &[f32], x: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = f64::from(b[j]);
                for t in 0..k {
                    s += f64::from(x[i * k + t]) * f64::from(w[j * k + t]);
                }
                out[i * n + j] = s as f32;
            }
        }
        out
    }

    #[test]
    fn packed_linear_matches_a_plain_product() {
        // Sizes that leave partial panels and partial row blocks.
        for &(m, n, k) in &[
            (1, 1, 1),
            (3, 35, 7),
            (9, 33, 40),
            (26, 64, 384),
            (70, 17, 5),
        ] {
            let w: Vec<f32> = (0..n * k)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let b: Vec<f32> = (0..n).map(|i| i as f32 * 0.25 - 1.0).collect();
            let x: Vec<f32> = (0..m * k)
                .map(|i| ((i * 53 % 97) as f32 - 48.0) / 24.0)
                .collect();
            let p = PackedLinear::new(&w, &b, n, k).unwrap();
            let got = p.forward(&x, m, Epilogue::Bias).unwrap();
            let want = reference(&w, &b, &x, m, n, k);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{m}x{n}x{k}: {g} vs {w}"
                );
            }
            let gelu = p.forward(&x, m, Epilogue::GeluErf).unwrap();
            for (g, w) in gelu.iter().zip(&want) {
                let w = 0.5 * w * (1.0 + erf(w * std::f32::consts::FRAC_1_SQRT_2));
                assert!((g - w).abs() < 1e-4 * (1.0 + w.abs()), "gelu {g} vs {w}");
            }
        }
        assert!(PackedLinear::new(&[1.0; 6], &[0.0; 2], 2, 4).is_none());
        let p = PackedLinear::new(&[1.0; 8], &[0.0; 2], 2, 4).unwrap();
        assert!(p.forward(&[1.0; 5], 2, Epilogue::Bias).is_none());
    }
}
