#!/usr/bin/env bash
# Builds each project in samples/getting-started as it would build on a new machine: an empty
# local Maven repository, the default remote repository, and the mesh4j artifacts of this checkout
# (not published yet) from a staging repository this script fills first. Prints, per project, how
# many artifacts it resolved and the outcome of its tests.
#
#   scripts/check-getting-started.sh [project ...]   # default: every project
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the value of a property of the build, as the Maven Invoker fills @name@ in the projects' poms
property() { ./mvnw -B -q help:evaluate -Dexpression="$1" -DforceStdout -N; }
version=$(property project.version)

echo "staging mesh4j $version"
./mvnw -B -q deploy -DskipTests -Dmaven.install.skip=true -pl mesh-bom,mesh-grpc,mesh-http,mesh-spring-starter -am \
  -DaltDeploymentRepository="staging::file://$work/staging"

cat > "$work/settings.xml" <<XML
<settings>
  <profiles>
    <profile>
      <id>staging</id>
      <repositories>
        <repository>
          <id>staging</id><url>file://$work/staging</url>
          <releases><enabled>false</enabled></releases><snapshots><enabled>true</enabled></snapshots>
        </repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>staging</activeProfile></activeProfiles>
</settings>
XML

projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  for pom in samples/getting-started/*/pom.xml; do projects+=("$(basename "$(dirname "$pom")")"); done
fi
status=0
for p in "${projects[@]}"; do
  cp -r "samples/getting-started/$p" "$work/$p"
  for token in $(grep -o '@[a-z.-]*@' "$work/$p/pom.xml" | sort -u); do
    name=${token//@/}
    sed -i "s/$token/$(property "$name")/g" "$work/$p/pom.xml"
  done
  repo="$work/repository-$p"
  mkdir "$repo"
  start=$(date +%s)
  if "$root/mvnw" -B -f "$work/$p/pom.xml" -s "$work/settings.xml" -Dmaven.repo.local="$repo" \
      verify > "$work/$p.log" 2>&1; then
    outcome=passed
  else
    outcome=FAILED
    status=1
    tail -40 "$work/$p.log"
  fi
  jars=$(find "$repo" -name '*.jar' | wc -l)
  tests=$(grep -E '^\[INFO\] Tests run:|^\[ERROR\] Tests run:' "$work/$p.log" | tail -1 | sed 's/^\[[A-Z]*\] //')
  echo "$p: $outcome in $(( $(date +%s) - start )) s, from an empty local repository: $jars jars resolved; $tests"
done
exit $status
