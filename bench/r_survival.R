# Times R's survival on a benchmark cohort made by `cargo run --release --example bench --
# ROWS SEED --keep DIR`, doing what that folder's study.yaml asks of reprise: KM by arm,
# the log-rank test, and a Cox model (Efron, 5 covariates) with its concordance (which
# coxph computes as it fits). reprise also runs cox.zph; R does not here, as an analyst
# fitting the model would not by default.
# Usage: Rscript bench/r_survival.R DIR/cohort.csv
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
step <- function(name, expr) {
  t <- system.time(force(expr))[["elapsed"]]
  cat(sprintf("  %-28s %8.3f s\n", name, t))
}
if (requireNamespace("data.table", quietly = TRUE)) {
  step("load (data.table::fread)", d <- data.table::fread(args[1]))
} else {
  step("load (read.csv)", d <- read.csv(args[1]))
}
step("Kaplan-Meier by arm", {
  km <- survfit(Surv(time, event) ~ arm, data = d)
  s <- summary(km, times = c(1, 2, 5), extend = TRUE)
  q <- quantile(km, 0.5)
})
step("log-rank by arm", lr <- survdiff(Surv(time, event) ~ arm, data = d))
step("Cox, 5 covariates, Efron", {
  fit <- coxph(Surv(time, event) ~ arm + age + sex + x1 + x2, data = d, ties = "efron")
  cs <- summary(fit)$concordance
})
cat(sprintf("  %-28s %8.3f s\n", "total (process)", proc.time()[["elapsed"]] - t0))
