#!/usr/bin/env bash
# Set up a fresh machine for deck: Python packages (and, with --test, what the tests need:
# Debian's chromium for the browser tests, poppler-utils for PDF snapshots, LibreOffice Impress for
# the PowerPoint exports). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

python -m pip --version >/dev/null
# torchvision only imports beside a matching torch build; pick the pair this machine's pip can get.
if ! python -c "import torch, torchvision" >/dev/null 2>&1; then
  case "$(uname -m)" in
    aarch64|arm64) python -m pip install -q "torch==2.9.1" "torchvision==0.24.1" ;;
    *)             python -m pip install -q "torch==2.14.1" "torchvision==0.29.1" ;;
  esac
fi
if [ "$want_tests" = 1 ]; then
  python -m pip install -q -e ".[test]"
  # Debian packages the tests use: the browser, and poppler (pdftoppm, pdftotext) to read PDFs back
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
  # LibreOffice Impress renders the PowerPoint exports (tests/test_export_pptx.py)
  command -v soffice >/dev/null 2>&1 || missing="$missing libreoffice-impress"
  if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
else
  python -m pip install -q -e .
fi
