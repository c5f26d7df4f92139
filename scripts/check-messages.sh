#!/usr/bin/env bash
# The translation catalogues, checked and compiled (make test):
#
#   scripts/check-messages.sh            regenerate every catalogue (makemessages),
#                                        fail naming the file and the messages when a
#                                        marked string is missing from its catalogue,
#                                        one is no longer marked, or a message has no
#                                        translation or a fuzzy one; then compile all
#   scripts/check-messages.sh --update   the same, listing what is left to translate
#                                        without failing (make messages)
#
# Needs GNU gettext (xgettext, msgmerge, msgfmt): scripts/ensure-services.sh
# installs it. Details in scripts/check_messages.py.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
for tool in xgettext msgmerge msguniq msgfmt; do
    if ! command -v "$tool" >/dev/null; then
        echo "check-messages: $tool (GNU gettext) is missing: make services installs it" >&2
        exit 1
    fi
done
exec "$ROOT/.venv/bin/python" scripts/check_messages.py "$@"
