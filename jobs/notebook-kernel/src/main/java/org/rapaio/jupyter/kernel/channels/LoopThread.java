package org.rapaio.jupyter.kernel.channels;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Replaces the class of the same name in rapaio-jupyter-kernel 3.0.1, which comes after this
 * module's classes on the kernel's class path (see {@code src/kernel/kernel.json}). Same name,
 * constructor and methods as the original, so the kernel's compiled channels link to it unchanged.
 *
 * <p>It fixes the two start-up races that left 3.0.1 hanging (1-2 starts in 8), both of which end
 * a channel's loop thread, after which that channel (heartbeat, shell or control) never answers:
 * <ol>
 *   <li>3.0.1's {@code start()} calls {@code Thread.start()} and only then sets
 *       {@code running = true}, while {@code run()} loops {@code while (running)}: a thread that
 *       reaches the loop first ends at once. Here the flag is set before the thread starts.
 *   <li>{@code Channels.connect} binds and starts the channels before it creates its handler map,
 *       so a {@code kernel_info_request} that arrives in between throws a NullPointerException
 *       ({@code this.handlers is null}) out of the shell loop's body, which ended the thread. Here
 *       the loop logs the failure and goes on; that one request is dropped, and Jupyter clients
 *       repeat {@code kernel_info_request} until it is answered. (Failures of the message handlers
 *       themselves never reach this loop: the channels catch and report them.)
 * </ol>
 */
public final class LoopThread extends Thread {
  private static final Logger LOGGER = Logger.getLogger(LoopThread.class.getSimpleName());
  private volatile boolean running;
  private final long sleep;
  private final Runnable loopBody;

  public LoopThread(String name, long sleep, Runnable loopBody) {
    super(name);
    this.sleep = sleep;
    this.loopBody = loopBody;
  }

  @Override
  public void run() {
    while (running) {
      try {
        loopBody.run();
      } catch (RuntimeException e) {
        LOGGER.log(Level.WARNING, getName() + ": a message loop iteration failed; the loop goes on", e);
      }
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        running = false;
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public synchronized void start() {
    running = true; // before the thread exists: run() cannot see false unless shutdown() was called
    super.start();
  }

  public void shutdown() {
    running = false;
  }
}
