#!/usr/bin/env bash
# Installs the system packages the book needs, only when they are missing.
#   book: XeLaTeX, latexmk, the fonts the PDF uses (Latin, Persian and Arabic script)
#   test: the above, plus Chromium (browser tests), poppler-utils (PDF tests), and Java and npm
#         for the Nu HTML Checker (the Makefile then installs vnu.jar from tools/node/)
# As root on Debian/Ubuntu it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail
what=${1:-book}

missing=()
need() { # need <debian-package> <test command...>
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
need texlive-xetex command -v xelatex
need latexmk command -v latexmk
need texlive-fonts-recommended kpsewhich pzdr.tfm
need texlive-latex-extra kpsewhich needspace.sty placeins.sty  # the PDF's page breaks
need fonts-freefont-otf fc-list -q "FreeSerif"
need fonts-noto-core bash -c 'fc-list | grep -q NotoNaskhArabic'
need fonts-symbola bash -c 'fc-list | grep -q Symbola'
need fonts-dejavu-core bash -c 'fc-list | grep -q "DejaVu Sans Mono"'  # the PDF's code
if [ "$what" = test ]; then
  need chromium command -v chromium
  need poppler-utils command -v pdftotext
  need default-jre-headless command -v java
  need npm command -v npm
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> system packages missing: ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing them with apt-get (TeX is about 350 MB; a few minutes the first time)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" fontconfig >/dev/null
  echo "==> installed: ${missing[*]}"
else
  echo "Install them, then run make again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  echo "  (macOS: brew install --cask mactex-no-gui && brew install poppler openjdk node && brew install --cask chromium)" >&2
  exit 1
fi
