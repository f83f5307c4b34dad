package io.sparkac.run;

import io.sparkac.storage.Storage;
import org.apache.hadoop.conf.Configuration;

/** A process that locks a run folder, says so, and holds the lock until it is killed (RunLockTest). */
public final class HoldRunLock {
  private HoldRunLock() {}

  public static void main(String[] args) throws InterruptedException {
    RunLock lock = RunLock.acquire(new Storage(new Configuration()), RunLayout.of(args[0]));
    System.out.println("locked");
    System.out.flush();
    Thread.sleep(600_000);
    lock.close();
  }
}
