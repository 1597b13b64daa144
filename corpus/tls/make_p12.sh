#!/usr/bin/env bash
# Makes the PKCS#12 forms of this folder's server key (for --rsa-key FILE.p12
# --rsa-key-password): server.p12 (OpenSSL 3 defaults: AES-256-CBC, PBKDF2, password
# "tcpfollow"), server.legacy.pfx (-legacy: RC2/3DES as older tools and Windows wrote them,
# same password) and nopass.p12 (other.key.pem alone, empty password; it matches no
# certificate here).
set -euo pipefail
cd "$(dirname "$0")"
openssl pkcs12 -export -inkey server.key.pem -in server.crt.pem -passout pass:tcpfollow -out server.p12
openssl pkcs12 -export -legacy -inkey server.key.pem -in server.crt.pem -passout pass:tcpfollow -out server.legacy.pfx
openssl pkcs12 -export -nocerts -inkey other.key.pem -passout pass: -out nopass.p12
