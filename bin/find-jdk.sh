# Sourced by ./normclock and ./run-tests: sets JAVA_HOME to a JDK >= 25, or exits with a message.
# Looks at $JAVA_HOME first, then every JDK under /usr/lib/jvm (newest first).
normclock_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
normclock_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate="${candidate%/}"
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major="$(normclock_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! NORMCLOCK_JDK="$(normclock_find_jdk)"; then
  echo "normclock: no JDK 25 or newer found (looked at JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*); install one (e.g. Temurin 25) and set JAVA_HOME to it" >&2
  exit 2
fi
export JAVA_HOME="$NORMCLOCK_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
if ! command -v mvn >/dev/null 2>&1; then
  echo "normclock: Maven (mvn) not found on PATH; install Maven 3.8 or newer (e.g. apt-get install maven)" >&2
  exit 2
fi
