#!/usr/bin/env bash
# Rebuild src/paxsilica/api/static/vendor/plotly-paxsilica.min.js: plotly.js core (scatter)
# + bar + sankey, the only trace types the dashboard draws (src/paxsilica/report/figures.py).
# Run by hand when plotly is upgraded (needs npm; nothing is downloaded at run time). Keep the
# plotly.js version equal to the one in the installed plotly wheel, whose figure JSON it draws.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(python -c "import plotly.offline as o, re; print(re.search(r'plotly\.js v([0-9.]+)', o.get_plotlyjs()[:500]).group(1))")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"name":"paxsilica-plotly","version":"1.0.0","private":true}' > package.json
cat > entry.js <<'JS'
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/sankey')]);
module.exports = Plotly;
JS
npm install --no-audit --no-fund "plotly.js@${version}" esbuild >/dev/null
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --define:global=window --outfile=bundle.js --log-level=warning
out="$root/src/paxsilica/api/static/vendor/plotly-paxsilica.min.js"
{ echo "/*! plotly.js v${version} partial bundle for paxsilica: core (scatter) + bar + sankey. MIT License, Copyright (c) 2016-2024 Plotly, Inc. Built by scripts/build_plotly_bundle.sh */"; cat bundle.js; } > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
