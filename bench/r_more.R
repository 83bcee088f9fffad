# Times R on the analyses of a benchmark folder's more.yaml (made by `cargo run --release
# --example bench -- ROWS SEED --keep DIR`), doing in R what reprise does for each: the
# line names match the benchmark's. Needs survival, cmprsk and MASS (R < 4.4) for the
# profile intervals. Usage: [SKIP_ROBUST=1] Rscript bench/r_more.R DIR/cohort.csv
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  if (getRversion() < "4.4.0") library(MASS)
})
args <- commandArgs(trailingOnly = TRUE)
step <- function(name, expr) {
  t <- system.time(force(expr))[["elapsed"]]
  cat(sprintf("  %-28s %8.3f s\n", name, t))
}
if (requireNamespace("data.table", quietly = TRUE)) {
  step("load (data.table::fread)", d <- as.data.frame(data.table::fread(args[1])))
} else {
  step("load (read.csv)", d <- read.csv(args[1]))
}
step("RMST by arm, tau 5", {
  s <- summary(survfit(Surv(time, event) ~ arm, data = d), rmean = 5)$table
})
step("KM, where/landmark/censor", {
  w <- d[d$age > 50 & d$time > 1, ]
  t <- pmin(w$time, 10)
  e <- w$event == 1 & w$time <= 10
  km <- survfit(Surv(t - 1, e) ~ w$arm)
})
step("Cox, 3 covariates, strata", {
  fit <- coxph(Surv(time, event) ~ arm + age + x1 + strata(sex), data = d)
  cs <- summary(fit)$concordance
  z <- cox.zph(fit)
})
# R's robust variance for a right-censored Cox model grows faster than the data (23.7 s at
# 100,000 rows, not done in 8 minutes at 1,000,000): SKIP_ROBUST=1 leaves it out.
if (Sys.getenv("SKIP_ROBUST") == "") step("Cox, 3 covariates, robust", {
  fit <- coxph(Surv(time, event) ~ arm + age + x1, data = d, robust = TRUE)
  cs <- summary(fit)$concordance
  z <- cox.zph(fit)
})
d$cst <- factor(d$cstatus, levels = c("c", "r", "d"))
step("cumulative incidence + Gray", {
  aj <- survfit(Surv(ctime, cst) ~ arm, data = d)
  s <- summary(aj, times = c(1, 2, 5), extend = TRUE)
  g <- cuminc(d$ctime, as.integer(d$cst) - 1, d$arm, cencode = 0)$Tests
})
step("Fine-Gray, 3 covariates", {
  fg <- finegray(Surv(ctime, cst) ~ ., data = d[, c("id", "arm", "age", "x1", "ctime", "cst")],
                 etype = "r")
  fit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ arm + age + x1, data = fg,
               weights = fgwt, cluster = id)
  cat(sprintf("    (finegray made %d rows)\n", nrow(fg)))
})
step("logistic, 5 covariates", {
  fit <- glm(resp ~ arm + age + sex + x1 + x2, family = binomial, data = d)
  ci <- suppressMessages(confint(fit))
  conc <- concordance(fit)
})
step("subgroups: sex, 3 fits + LR", {
  all <- coxph(Surv(time, event) ~ arm + age, data = d)
  by <- lapply(split(d, d$sex), function(s) coxph(Surv(time, event) ~ arm + age, data = s))
  full <- coxph(Surv(time, event) ~ arm * factor(sex) + age, data = d)
  red <- coxph(Surv(time, event) ~ arm + factor(sex) + age, data = d)
  p <- anova(red, full)
})
