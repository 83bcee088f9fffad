# Make tests/data/mgus2.csv from R's survival::mgus2 (run from the repository root:
# Rscript tests/data/make_mgus2.R).  Adds the competing-risks columns as the
# survival package's "compete" vignette builds them:
#   etime = time to progression (PCM) or, without progression, to death or last
#           contact: ifelse(pstat == 0, futime, ptime), which equals pmin(ptime, futime)
#   event = "pcm" if pstat == 1, else "death" if death == 1, else "censor"
# A missing value is an empty field.
suppressPackageStartupMessages(library(survival))
m <- survival::mgus2
m$etime <- pmin(m$ptime, m$futime)
stopifnot(all(m$etime == with(m, ifelse(pstat == 0, futime, ptime))))
m$event <- ifelse(m$pstat == 1, "pcm", ifelse(m$death == 1, "death", "censor"))
stopifnot(identical(m$event,
                    as.character(factor(with(m, ifelse(pstat == 0, 2 * death, 1)), 0:2,
                                        labels = c("censor", "pcm", "death")))))
m$sex <- as.character(m$sex)
for (v in names(m)) attr(m[[v]], "label") <- attr(m[[v]], "format") <- NULL
out <- file.path("tests", "data", "mgus2.csv")
write.csv(m, out, row.names = FALSE, na = "")
cat("wrote", out, nrow(m), "rows; survival", as.character(packageVersion("survival")), "\n")
