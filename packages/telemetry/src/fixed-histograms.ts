import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** One attribute set's cumulative histogram. */
interface Series {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  /** counts[i]: values ≤ boundaries[i] and above the one before; the last: above every boundary. */
  readonly counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** Attribute values by position (e.g. service, method, code) → series, as nested maps: no key is built per record. */
type Tree = Map<string, Tree | Series>;

/**
 * A histogram with explicit buckets and fixed attribute names, aggregated here rather than by the OpenTelemetry
 * SDK, whose per-record attribute hashing (sorting and serialising the attribute object) cost a gateway more than
 * the rest of its telemetry on every call. The attribute values select a series through nested maps; the series
 * reach the exporter through a MetricProducer (cumulative, as the SDK's own histograms), in the same form.
 */
export class FixedHistogram {
  private readonly tree: Tree = new Map();
  private readonly series: Series[] = [];

  constructor(
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    /** The attribute names, in the order record() takes their values. */
    private readonly names: readonly string[],
    private readonly boundaries: readonly number[],
  ) {}

  /** Records a value for the attribute values given in the order of the names. */
  record(value: number, ...values: string[]): void {
    let node: Tree = this.tree;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Tree | undefined;
      if (next === undefined) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    let s = node.get(values[last]!) as Series | undefined;
    if (s === undefined) node.set(values[last]!, (s = this.newSeries(values)));
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
    if (value < s.min) s.min = value;
    if (value > s.max) s.max = value;
  }

  private newSeries(values: readonly string[]): Series {
    if (values.length !== this.names.length) throw new Error(`${this.name}: ${this.names.length} attribute values expected, got ${values.length}`);
    const attributes: Attributes = {};
    this.names.forEach((n, i) => (attributes[n] = values[i]));
    const s: Series = { attributes, startTime: hrTime(), counts: new Array<number>(this.boundaries.length + 1).fill(0), sum: 0, count: 0, min: Infinity, max: -Infinity };
    this.series.push(s);
    return s;
  }

  /** Its series as the SDK's collection gives a histogram. */
  data(endTime: HrTime): HistogramMetricData {
    return {
      descriptor: { name: this.name, description: this.description, unit: this.unit, valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: this.series.map((s) => ({
        startTime: s.startTime,
        endTime,
        attributes: s.attributes,
        value: { buckets: { boundaries: [...this.boundaries], counts: [...s.counts] }, sum: s.sum, count: s.count, min: s.min, max: s.max },
      })),
    };
  }
}

/** Hands FixedHistograms to a metric reader (PrometheusExporter's metricProducers). */
export class FixedHistogramProducer implements MetricProducer {
  private readonly histograms: FixedHistogram[] = [];

  /** Adds a histogram, replacing one of the same name (a process's instruments made again). */
  add(h: FixedHistogram): FixedHistogram {
    const at = this.histograms.findIndex((x) => x.name === h.name);
    if (at >= 0) this.histograms[at] = h;
    else this.histograms.push(h);
    return h;
  }

  async collect(): Promise<CollectionResult> {
    const now = hrTime();
    return {
      // The reader keeps its own resource and takes only the scope metrics of a producer.
      resourceMetrics: {
        resource: undefined as never,
        scopeMetrics: [{ scope: { name: 'engram' }, metrics: this.histograms.map((h) => h.data(now)) }],
      },
      errors: [],
    };
  }
}

/** The process's producer: startTelemetry registers it with the Prometheus exporter. */
export const processHistograms = new FixedHistogramProducer();
