//! Differential privacy for numeric values: the Laplace mechanism made safe
//! for floating point with Mironov's snapping (CCS 2012), and a per-identity
//! epsilon budget that refuses once spent.
//!
//! Naive `x + Laplace(λ)` in doubles leaks through the gaps of the
//! floating-point grid. The snapping mechanism clamps the input to
//! `[-B, B]`, samples `ln(U)` from a uniform `U` drawn over *all* doubles in
//! `(0, 1)` (exponent from a geometric draw, 52 random mantissa bits), adds
//! `±λ·ln(U)`, rounds to the nearest multiple of `Λ` (the smallest power of
//! two ≥ λ, so the division is exact) and clamps again. It is
//! `(ε + 2⁻⁴⁹·B/λ)`-differentially private for sensitivity Δ, λ = Δ/ε; the
//! budget is charged that slightly larger amount.

use std::collections::HashMap;
use std::sync::Mutex;

use rand_core::RngCore;

use super::PrivacyError;

/// The snapping Laplace mechanism.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaplaceMechanism {
    epsilon: f64,
    sensitivity: f64,
    bound: f64,
}

impl LaplaceMechanism {
    /// A mechanism for values of `sensitivity`, privacy `epsilon`, outputs
    /// clamped to `[-bound, bound]`.
    pub fn new(epsilon: f64, sensitivity: f64, bound: f64) -> Result<Self, PrivacyError> {
        let ok = |x: f64| x.is_finite() && x > 0.0;
        if !ok(epsilon) || !ok(sensitivity) || !ok(bound) {
            return Err(PrivacyError::Config(format!(
                "dp parameters must be finite and positive: epsilon `{epsilon}`, sensitivity `{sensitivity}`, bound `{bound}`"
            )));
        }
        Ok(Self {
            epsilon,
            sensitivity,
            bound,
        })
    }

    /// The nominal epsilon.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The epsilon actually guaranteed (and charged) by the snapping mechanism.
    pub fn effective_epsilon(&self) -> f64 {
        let lambda = self.sensitivity / self.epsilon;
        self.epsilon + (2f64).powi(-49) * self.bound / lambda
    }

    /// Release `x` with noise.
    pub fn release(&self, x: f64, rng: &mut impl RngCore) -> f64 {
        let b = self.bound;
        let lambda = self.sensitivity / self.epsilon;
        // Smallest power of two >= lambda.
        let big_lambda = (2f64).powi(lambda.log2().ceil() as i32);
        let x = if x.is_nan() { 0.0 } else { x.clamp(-b, b) };
        let u = uniform_open01(rng);
        let sign = if rng.next_u32() & 1 == 0 { 1.0 } else { -1.0 };
        let noisy = x + sign * lambda * u.ln();
        let snapped = (noisy / big_lambda).round() * big_lambda;
        snapped.clamp(-b, b)
    }
}

/// A double uniform over `(0, 1)` with every representable value reachable
/// with probability proportional to its spacing: exponent from a geometric
/// draw, mantissa from 52 random bits.
fn uniform_open01(rng: &mut impl RngCore) -> f64 {
    let mut exponent: i32 = -1;
    loop {
        let bits = rng.next_u64();
        if bits == 0 {
            exponent -= 64;
            if exponent < -1074 {
                return f64::MIN_POSITIVE;
            }
            continue;
        }
        exponent -= bits.leading_zeros() as i32;
        break;
    }
    let mantissa = rng.next_u64() >> 12;
    let m = 1.0 + (mantissa as f64) / (1u64 << 52) as f64;
    let v = m * (2f64).powi(exponent);
    if v >= 1.0 {
        1.0 - f64::EPSILON / 2.0
    } else if v <= 0.0 {
        f64::MIN_POSITIVE
    } else {
        v
    }
}

/// Per-identity epsilon budget. Thread-safe.
#[derive(Debug)]
pub struct PrivacyBudget {
    limit: f64,
    spent: Mutex<HashMap<String, f64>>,
}

impl PrivacyBudget {
    /// Every identity may spend up to `limit` epsilon in total.
    pub fn new(limit: f64) -> Self {
        Self {
            limit: if limit.is_finite() && limit > 0.0 {
                limit
            } else {
                0.0
            },
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// Epsilon left for `identity`.
    pub fn remaining(&self, identity: &str) -> f64 {
        let spent = self
            .spent
            .lock()
            .map(|m| m.get(identity).copied().unwrap_or(0.0))
            .unwrap_or(f64::INFINITY);
        (self.limit - spent).max(0.0)
    }

    /// Charge `epsilon` to `identity`, or refuse (nothing charged) if it
    /// would exceed the limit. A poisoned lock refuses too.
    pub fn charge(&self, identity: &str, epsilon: f64) -> Result<(), PrivacyError> {
        let refuse = |remaining: f64| PrivacyError::BudgetExhausted {
            identity: identity.to_string(),
            requested: epsilon,
            remaining,
        };
        let mut map = self.spent.lock().map_err(|_| refuse(0.0))?;
        let spent = map.get(identity).copied().unwrap_or(0.0);
        if !(epsilon.is_finite() && epsilon > 0.0) || spent + epsilon > self.limit + 1e-12 {
            return Err(refuse((self.limit - spent).max(0.0)));
        }
        map.insert(identity.to_string(), spent + epsilon);
        Ok(())
    }

    /// Release `x` through `mech`, charging its effective epsilon first.
    pub fn release(
        &self,
        identity: &str,
        mech: &LaplaceMechanism,
        x: f64,
        rng: &mut impl RngCore,
    ) -> Result<f64, PrivacyError> {
        self.charge(identity, mech.effective_epsilon())?;
        Ok(mech.release(x, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn outputs_on_grid_and_clamped() {
        let m = LaplaceMechanism::new(0.5, 1.0, 1000.0).unwrap();
        for _ in 0..1000 {
            let y = m.release(42.0, &mut OsRng);
            assert!((-1000.0..=1000.0).contains(&y));
            // lambda = 2, Lambda = 2: outputs are multiples of 2.
            assert_eq!(y % 2.0, 0.0);
        }
        assert!(m.release(f64::NAN, &mut OsRng).is_finite());
    }

    #[test]
    fn noise_has_laplace_scale() {
        let m = LaplaceMechanism::new(1.0, 1.0, 1e6).unwrap();
        let n = 20_000;
        let mean_abs: f64 = (0..n)
            .map(|_| (m.release(0.0, &mut OsRng)).abs())
            .sum::<f64>()
            / n as f64;
        // E|Laplace(1)| = 1; snapping to a grid of 1 keeps it near 1.
        assert!((0.8..1.25).contains(&mean_abs), "{mean_abs}");
    }

    #[test]
    fn uniform_is_open_interval() {
        for _ in 0..10_000 {
            let u = uniform_open01(&mut OsRng);
            assert!(u > 0.0 && u < 1.0);
        }
    }

    #[test]
    fn budget_refuses_when_spent() {
        let budget = PrivacyBudget::new(1.0);
        let m = LaplaceMechanism::new(0.4, 1.0, 100.0).unwrap();
        assert!(budget.release("agent-a", &m, 10.0, &mut OsRng).is_ok());
        assert!(budget.release("agent-a", &m, 10.0, &mut OsRng).is_ok());
        let err = budget.release("agent-a", &m, 10.0, &mut OsRng).unwrap_err();
        assert!(matches!(err, PrivacyError::BudgetExhausted { .. }));
        assert_eq!(err.code(), crate::ErrorCode::PrivacyBudgetExhausted);
        // Another identity has its own budget.
        assert!(budget.release("agent-b", &m, 10.0, &mut OsRng).is_ok());
        assert!(budget.remaining("agent-a") < 0.3);
    }

    #[test]
    fn bad_parameters_refused() {
        assert!(LaplaceMechanism::new(0.0, 1.0, 1.0).is_err());
        assert!(LaplaceMechanism::new(f64::NAN, 1.0, 1.0).is_err());
    }
}
