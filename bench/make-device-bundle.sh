#!/usr/bin/env bash
# Builds .device/, the folder a device session carries to the GPU machine (which builds nothing):
#   .device/java/          a jlinked Java 25 runtime with the modules the shaded CLI jar needs
#   .device/normclock.jar  cli/target/normclock.jar (with the kernels' fatbin inside, built where nvcc was)
# and prints its size, which must stay under the 64 MiB a device call carries.
# Usage: bench/make-device-bundle.sh   (after `mvn -B -ntp -o package -DskipTests` or `verify`)
# JAVA_HOME: a JDK 25 (default /usr/lib/jvm/temurin-25-jdk-amd64).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
jar="$root/cli/target/normclock.jar"
out="$root/.device"
[[ -x "$jdk/bin/jlink" ]] || { echo "make-device-bundle: no jlink in $jdk (set JAVA_HOME to a JDK 25)" >&2; exit 2; }
[[ -f "$jar" ]] || { echo "make-device-bundle: $jar is missing: build it first (mvn -B -ntp -o package -DskipTests)" >&2; exit 2; }
listing="$("$jdk/bin/jar" tf "$jar")"
if ! grep -q '^dev/normclock/backend/cuda/normclock.fatbin$' <<<"$listing"; then
  echo "make-device-bundle: $jar holds no kernels (built without nvcc): the GPU check would only say 'kernels not built'" >&2
  exit 2
fi
# jdeps --print-module-deps on the jar gives java.base, java.desktop (the report's figures), java.sql and
# jdk.incubator.vector; the others are what its libraries reach by reflection or service loading
# (SQLite's JDBC driver: logging, JNDI; sun.misc.Unsafe users; XML). java.desktop is left out: the
# GPU machine runs the self-check, train and bench, which draw no figure (analyze/report would need
# it), and with it the bundle would not fit in 64 MiB.
modules=java.base,java.sql,jdk.incubator.vector,java.logging,java.management,java.naming,jdk.unsupported,java.xml
rm -rf "$out"
mkdir -p "$out"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress zip-9 \
  --strip-native-debug-symbols exclude-debuginfo-files --output "$out/java" 2>&1 | grep -v 'incubator modules' || true
# libjvm.so keeps its symbol table through jlink (29 MB); without it the JVM runs the same (5 MB less).
if command -v strip >/dev/null; then chmod u+w "$out/java/lib/server/libjvm.so"; strip --strip-unneeded "$out/java/lib/server/libjvm.so"; fi
# The jar carries SQLite's native library for every platform (14 MB); the GPU machine is Linux x86-64.
cp "$jar" "$out/normclock.jar"
chmod u+w "$out/normclock.jar"
others="$(grep '^org/sqlite/native/.*/' <<<"$listing" | grep -v '/$' | grep -v '^org/sqlite/native/Linux/x86_64/' || true)"
if [[ -n "$others" ]]; then
  if command -v zip >/dev/null; then xargs zip -q -d "$out/normclock.jar" <<<"$others"
  else python3 - "$out/normclock.jar" <<<"$others" <<'PY'
import sys, zipfile, shutil
drop = set(sys.stdin.read().split())
src = sys.argv[1]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(src + ".tmp", "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if item.filename not in drop:
            zout.writestr(item, zin.read(item.filename))
shutil.move(src + ".tmp", src)
PY
  fi
fi
"$out/java/bin/java" --add-modules=jdk.incubator.vector -version 2>&1 | grep -v 'incubator modules' | head -1
"$out/java/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$out/normclock.jar" --version 2>&1 | grep -v 'incubator modules'
bytes=$(du -sb "$out" | cut -f1)
echo "make-device-bundle: $out is $((bytes / 1048576)) MiB ($bytes bytes): runtime $(du -sh "$out/java" | cut -f1), jar $(du -sh "$out/normclock.jar" | cut -f1)"
if (( bytes >= 60 * 1048576 )); then echo "make-device-bundle: over 60 MiB: with the working tree it would not fit the 64 MiB a device call carries" >&2; exit 1; fi
