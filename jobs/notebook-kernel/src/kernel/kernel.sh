#!/bin/sh
# Starts the notebooks' Java kernel (rapaio-jupyter-kernel) for Jupyter's connection file ($1).
# Every path is found from this script's own folder, jobs/notebook-kernel/target/jupyter/kernels/
# sparkac-java in the checkout (a symbolic link to that folder works too), so the kernelspec holds
# no absolute path of the machine that built it. The notebook code's class path is the build's
# target/kernel/notebook.classpath; java is $JAVA_HOME/bin/java, else the java on the PATH.
set -e
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
target=$(cd "$here/../../.." && pwd)
if [ ! -f "$target/kernel/notebook.classpath" ]; then
  echo "sparkac-java kernel: $target/kernel/notebook.classpath is missing. This kernelspec runs from the build's folder:" \
    "JUPYTER_PATH=<checkout>/jobs/notebook-kernel/target/jupyter, or a symbolic link to its kernels/sparkac-java;" \
    "build it with: mvn -B -ntp -DskipTests package" >&2
  exit 1
fi
RJK_CLASSPATH=$(cat "$target/kernel/notebook.classpath")
SPARK_LOCAL_IP=127.0.0.1
OMP_NUM_THREADS=1
JDK_JAVA_OPTIONS="${spark.java17.opts} -Xmx2g -Djava.awt.headless=true -Dlog4j2.configurationFile=$here/log4j2.properties"
export RJK_CLASSPATH SPARK_LOCAL_IP OMP_NUM_THREADS JDK_JAVA_OPTIONS
java=java
if [ -n "$JAVA_HOME" ]; then
  java="$JAVA_HOME/bin/java"
fi
exec "$java" -cp "$target/classes:$target/kernel/rapaio-jupyter-kernel.jar" org.rapaio.jupyter.kernel.MainApp "$1"
