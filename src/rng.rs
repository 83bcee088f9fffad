//! A small seeded random number generator (splitmix64), so that a synthetic cohort or a
//! benchmark cohort is the same on every machine and every version of every dependency.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on (0, 1), never exactly 0 or 1.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.uniform()).cos()
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }

    /// `n` stratified uniforms, one in each of n equal slices of (0, 1), in random order:
    /// a sample whose empirical distribution is as close to uniform as n allows.
    pub fn stratified(&mut self, n: usize) -> Vec<f64> {
        let mut u: Vec<f64> = (0..n)
            .map(|i| (i as f64 + self.uniform()) / n as f64)
            .collect();
        self.shuffle(&mut u);
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(
            (0..5).map(|_| a.next_u64()).collect::<Vec<_>>(),
            (0..5).map(|_| b.next_u64()).collect::<Vec<_>>()
        );
        let s = Rng::new(1).stratified(10);
        let mut sorted = s.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            sorted
                .iter()
                .enumerate()
                .all(|(i, u)| *u >= i as f64 / 10.0 && *u < (i + 1) as f64 / 10.0)
        );
    }
}
