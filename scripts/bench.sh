#!/usr/bin/env bash
# Runs the performance benchmarks of sanad against chromem-go v0.7.0 on the
# same seeded synthetic data, and prints one table of figures and ratios.
#
#   scripts/bench.sh              # 100,000 chunks × 768 dims, 10,000-chunk embedding runs
#   SANAD_BENCH_CHUNKS=20000 SANAD_BENCH_EMBED_CHUNKS=2000 scripts/bench.sh   # quicker
#
# Fixtures are built once and kept under $TMPDIR/sanad-bench (several GB at
# full size; building them takes minutes). The chromem side of the
# embedding benchmark sends one request per chunk at 20 ms each, so at
# 10,000 chunks it alone takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() { go test -run '^$' -timeout 2h "$@" ./bench/ | tee -a "$out" | grep -E '^Benchmark' >&2 || true; }
echo "running benchmarks (chunks=${SANAD_BENCH_CHUNKS:-100000}, embed chunks=${SANAD_BENCH_EMBED_CHUNKS:-10000})..." >&2
# The cold search runs first, in a test process of its own: a child's peak
# RSS includes what its parent had mapped when it forked, and the chromem
# benchmarks leave the parent large.
run -bench 'ColdSearch/sanad' -benchtime 3x
run -bench 'Open|ColdSearch/chromem|WarmQuery|IncrementalAdd' -benchtime 3x
run -bench 'UnchangedReindex|EmbedThroughput|KeepServerBusy' -benchtime 1x
run -bench 'BuiltinPipeline' -cpu 1 -benchtime 10x

awk '
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  ns[name] = $3
  for (i = 4; i < NF; i++) if ($(i+1) ~ /^[a-zA-Z]/) metric[name, $(i+1)] = $i
}
function s(x) { return sprintf("%.3f s", x / 1e9) }
function row(what, sanad, base, ratio, target) { printf "| %s | %s | %s | %s | %s |\n", what, sanad, base, ratio, target }
END {
  print "| measure | sanad | chromem-go | ratio | target |"
  print "|---|---|---|---|---|"
  row("open the index (in process)", s(ns["BenchmarkOpen/sanad"]), s(ns["BenchmarkOpen/chromem"]), sprintf("%.1f× faster", ns["BenchmarkOpen/chromem"] / ns["BenchmarkOpen/sanad"]), "")
  row("cold search, fresh process (chromem: reload + query)", s(ns["BenchmarkColdSearch/sanad"]), s(ns["BenchmarkColdSearch/chromem"]), sprintf("%.1f× faster", ns["BenchmarkColdSearch/chromem"] / ns["BenchmarkColdSearch/sanad"]), "≤ 0.5 s, ≥ 10×")
  row("warm top-10 vector query", sprintf("%.1f ms", ns["BenchmarkWarmQuery/sanad-vector"] / 1e6), sprintf("%.1f ms", ns["BenchmarkWarmQuery/chromem"] / 1e6), sprintf("%.2f× chromem", ns["BenchmarkWarmQuery/sanad-vector"] / ns["BenchmarkWarmQuery/chromem"]), "≤ 1.10×")
  row("warm hybrid query (BM25 + vector)", sprintf("%.1f ms", ns["BenchmarkWarmQuery/sanad-hybrid"] / 1e6), "", sprintf("%.2f× vector", ns["BenchmarkWarmQuery/sanad-hybrid"] / ns["BenchmarkWarmQuery/sanad-vector"]), "≤ 1.20×")
  row("add 10 articles (open, commit, close)", s(ns["BenchmarkIncrementalAdd"]), "", sprintf("%d of %d bytes written", metric["BenchmarkIncrementalAdd", "bytes-written"], metric["BenchmarkIncrementalAdd", "index-bytes"]), "≤ 1 s, no rewrite")
  row("re-index 10,000 unchanged articles", s(ns["BenchmarkUnchangedReindex"]), "", sprintf("%d embedding calls", metric["BenchmarkUnchangedReindex", "embed-calls"]), "≤ 1 s, 0 requests")
  row("embed chunks, 20 ms/request, 2 in flight", s(ns["BenchmarkEmbedThroughput/sanad"]) " (" metric["BenchmarkEmbedThroughput/sanad", "requests/op"] " requests)", s(ns["BenchmarkEmbedThroughput/chromem"]) " (" metric["BenchmarkEmbedThroughput/chromem", "requests/op"] " requests)", sprintf("%.1f× faster", ns["BenchmarkEmbedThroughput/chromem"] / ns["BenchmarkEmbedThroughput/sanad"]), "≥ 20×")
  row("index run against the busy time of a one-at-a-time server", s(ns["BenchmarkKeepServerBusy"]), "", sprintf("%.3f× busy time", metric["BenchmarkKeepServerBusy", "wall/busy"]), "≤ 1.1×")
  row("peak RSS of a search process", sprintf("%d MiB", metric["BenchmarkColdSearch/sanad", "peak-RSS-MiB"]), "", sprintf("%.2f× (vectors + text)", metric["BenchmarkColdSearch/sanad", "RSS/(vectors+text)"]), "≤ 1.5×")
  row("built-in pipeline, one core", metric["BenchmarkBuiltinPipeline", "MB/s"] " MB/s", "", "", "≥ 5 MB/s")
}' "$out"
