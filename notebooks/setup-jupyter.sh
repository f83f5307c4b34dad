#!/usr/bin/env bash
# Installs what executing the notebooks needs, only when it is missing (fast when installed):
# Debian's Jupyter (nbconvert, nbclient, jupyter-client; ipykernel for a complete Jupyter), and
# Debian's python3 with numpy (/usr/bin/python3, also where another python3 comes first on the PATH).
# The Java kernel itself comes from Maven Central with the build (jobs/notebook-kernel/pom.xml), and
# the build writes its kernelspec to jobs/notebook-kernel/target/jupyter/kernels/sparkac-java.
set -euo pipefail
packages=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel python3 python3-numpy)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-jupyter: missing ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "setup-jupyter: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# What the notebooks' test runs, and numpy under Debian's python3: a broken install fails here.
jupyter-nbconvert --version >/dev/null
/usr/bin/python3 -c 'import numpy'
