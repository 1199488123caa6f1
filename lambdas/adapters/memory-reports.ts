import type { ReportSink } from "../core/ports.js";

/** `ReportSink` in a map, for tests and tools that read the reports back. */
export class MemoryReports implements ReportSink {
  /** Report text by content key. */
  readonly reports = new Map<string, string>();

  async put(key: string, text: string): Promise<void> {
    this.reports.set(key, text);
  }

  async remove(key: string): Promise<void> {
    this.reports.delete(key);
  }
}
