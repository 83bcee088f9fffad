//! Extraction on short passages written the ways journals print.

use super::*;

fn found(text: &str) -> Vec<Found> {
    extract(&Paper::from_text(text))
}

fn kinds(text: &str) -> Vec<(&'static str, f64)> {
    found(text)
        .iter()
        .map(|f| (f.kind.name(), f.value))
        .collect()
}

#[test]
fn a_results_sentence_of_the_bundled_paper() {
    let f = found(
        "Eventually, 112 (49.1%) patients finished the whole treatment schedule, of which \
         complete response of all tumor sites and patho-\nlogical downstaging of the rectal \
         tumor were observed in three (2.7%) and 90 (80.4%) patients.",
    );
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.kind.name(), f.value, f.percent))
        .collect();
    assert_eq!(
        got,
        [
            ("count_percent", 112.0, Some(49.1)),
            ("count_percent", 3.0, Some(2.7)),
            ("count_percent", 90.0, Some(80.4)),
        ]
    );
    assert_eq!(f[1].text, "three (2.7%)");
    assert_eq!(f[2].line, 2);
}

#[test]
fn two_rates_and_the_p_that_compares_them() {
    assert_eq!(
        kinds("3-year OS (74.4% vs 39.2%, P < 0.001) were improved."),
        [("percent", 74.4), ("percent", 39.2), ("p", 0.001)]
    );
}

#[test]
fn a_ratio_with_its_interval_and_p_is_one_claim() {
    for text in [
        "the HR was 0.59 (95% CI 0.42–0.82, P = 0.001).",
        "(hazard ratio for death, 0.59; 95% confidence interval [CI], 0.42 to 0.82; P=0.001)",
        "HR 0·59, 95% CI 0·42–0·82; p=0·001",
    ] {
        let f = found(text);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        assert_eq!(f[0].kind, Kind::Hr, "{text}");
        assert_eq!((f[0].lower, f[0].upper), (Some(0.42), Some(0.82)), "{text}");
        assert_eq!(f[0].p.map(|p| p.value.value), Some(0.001), "{text}");
    }
}

#[test]
fn a_table_row_takes_its_kind_from_the_header() {
    let f = found(
        "Table 4 Univariable analysis\n\nFactor Hazard ratio P\n\n\
         Age (>  60 vs ≤ 60 a) 1.15 (0.72, 1.84) 0.553\n\n\
         cT category (IV vs II-III a) 1.62 (0.62, 2.58) 0.045 0.98 (0.62, 1.54) 0.916\n",
    );
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.kind.name(), f.value, f.p.map(|p| p.value.value)))
        .collect();
    assert_eq!(
        got,
        [
            ("hr", 1.15, Some(0.553)),
            ("hr", 1.62, Some(0.045)),
            ("hr", 0.98, Some(0.916))
        ]
    );
}

#[test]
fn labels_years_and_levels_are_not_statistics() {
    assert!(found("As shown in Table 2 and Fig. 3, patients treated from 2013 to 2019").is_empty());
    assert!(found("with 15–25% of patients presenting [1–3]").is_empty());
    assert_eq!(
        kinds("PFS was 38.6% (95% CI 32.5 to 45.8%)"),
        [("rate", 38.6)]
    );
}

#[test]
fn a_denominator_stated_in_the_sentence_is_attached() {
    let f =
        found("surgical complications occurred in 22 (9.6%) of 142 patients who underwent surgery");
    assert_eq!(f[0].denominator, Some(142.0));
}

#[test]
fn counts_of_patients_medians_and_means() {
    assert_eq!(
        kinds(
            "A total of 228 patients were analyzed with a median follow-up of 33 (range 3.3 to 93.4) months."
        ),
        [("count", 228.0), ("median", 33.0)]
    );
    assert_eq!(kinds("mean age 54.5 ± 16.3 years"), [("mean", 54.5)]);
    assert_eq!(kinds("The median OS was 41.7 months."), [("median", 41.7)]);
}

#[test]
fn every_found_text_reads_back_as_the_same_claim() {
    let text = "Eventually, 112 (49.1%) patients finished, three (2.7%) responded; \
                HR 0·59, 95% CI 0·42–0·82; p=0·001. PFS was 38.6% (95% CI 32.5 to 45.8%).";
    for f in found(text) {
        let again = crate::printed::parse_claim(&f.text).unwrap();
        assert_eq!(again.value, f.stat.value, "{}", f.text);
        assert_eq!(again.lower, f.stat.lower, "{}", f.text);
    }
}
