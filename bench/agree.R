# Checks that reprise's answers on a benchmark cohort agree with R's survival, at the
# scale the speed benchmark runs (the R fixtures in tests/ are small data sets).
# Needs R with survival, data.table and jsonlite; not run in CI.
#
#   cargo run --release --example bench -- 1000000 2021 --keep DIR --generate-only
#   reprise build DIR/study.yaml --out DIR/report
#   Rscript bench/agree.R DIR
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
dir <- commandArgs(trailingOnly = TRUE)[1]
d <- data.table::fread(file.path(dir, "cohort.csv"))
res <- fromJSON(file.path(dir, "report", "results.json"), simplifyVector = FALSE)$analyses
worst <- 0
cmp <- function(what, r, ours) {
  rel <- abs(r - ours) / max(abs(r), 1e-300)
  worst <<- max(worst, rel)
  cat(sprintf("  %-34s R %.15g  reprise %.15g  rel %.1e\n", what, r, ours, rel))
}
km <- survfit(Surv(time, event) ~ arm, data = d)
s <- summary(km, times = c(1, 2, 5), extend = TRUE)
for (k in 1:2) for (j in 1:3) {
  cmp(sprintf("KM arm %d S(%g)", k - 1, c(1, 2, 5)[j]), s$surv[(k - 1) * 3 + j], res$km$strata[[k]]$at[[j]]$surv)
  cmp(sprintf("KM arm %d lower(%g)", k - 1, c(1, 2, 5)[j]), s$lower[(k - 1) * 3 + j], res$km$strata[[k]]$at[[j]]$lower)
}
lr <- survdiff(Surv(time, event) ~ arm, data = d)
cmp("log-rank chi-square", lr$chisq, res$logrank$chisq)
fit <- coxph(Surv(time, event) ~ arm + age + sex + x1 + x2, data = d, ties = "efron")
for (j in 1:5) {
  cmp(paste("Cox coef", names(coef(fit))[j]), coef(fit)[[j]], res$cox$terms[[j]]$coef)
  cmp(paste("Cox se", names(coef(fit))[j]), sqrt(diag(fit$var))[j], res$cox$terms[[j]]$se)
}
cmp("Cox loglik", fit$loglik[2], res$cox$loglik$fitted)
cmp("Cox score test", fit$score, res$cox$score_test$chisq)
cmp("Cox Wald test", fit$wald.test, res$cox$wald_test$chisq)
cmp("concordance", fit$concordance[["concordance"]], res$cox$concordance$estimate)
cmp("concordance se", fit$concordance[["std"]], res$cox$concordance$se)
z <- cox.zph(fit, transform = "km")
for (j in 1:5) cmp(paste("zph", rownames(z$table)[j]), z$table[j, "chisq"], res$cox$zph$terms[[j]]$chisq)
cmp("zph global", z$table["GLOBAL", "chisq"], res$cox$zph$global$chisq)
cat(sprintf("largest relative difference: %.2e (%s)\n", worst, if (worst < 1e-9) "agrees to 1e-9" else "DISAGREES"))
