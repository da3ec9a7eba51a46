/* vae-wasm's tables and time series (CSV, TSV): VAE.parseCSV and the models
 * trained on tables. The reading, the standardisation, the windows and the
 * per-row scores are the library's (src/formats/csv.c, the code of `vae
 * train --csv` and `vae score --csv`), in the training module: vae.js fetches
 * it and this file only on the first table, so image pages load neither.
 * vae.js hands over its helpers (`kit`): errors are the same VAEErrors.
 *
 * A table model's file keeps the spec (columns, mean, std, step, window, label)
 * under the vae_wasm.table metadata key, so score() takes raw values: value x
 * of column j enters the model as 0.5 + (x - mean_j) / (8 std_j); with a
 * window W, W consecutive rows are one input, and a row's score is the mean
 * of the scores of the windows that cover it. */

const KIT = ['instantiate', 'fail', 'options', 'integer', 'finite', 'seed64', 'randomSeed', 'rows', 'pathPoint', 'choice', 'init', 'Model', 'create'];
const KEY = 'vae_wasm.table';
const enc = new TextEncoder(), dec = new TextDecoder();

const kitOf = (list) => Object.fromEntries(KIT.map((n, i) => [n, list[i]]));
const joined = (names) => names.map((s) => `${s}\0`).join('');

/* The training runtime, or the one the load options ask for. */
async function runtime(k, o = {}) {
  if (o.trainWasm !== undefined || o.simd !== undefined) return k.instantiate({ wasm: o.trainWasm, simd: o.simd, training: true });
  return (await k.init()).training();
}

/** A parsed table: `values` [rows, cols] as read, in the order of
 * `columns`; `labels` [rows] (0 normal, 1 anomaly) when a label column was read. */
export class Table {
  #k;

  /** @internal Use VAE.parseCSV. */
  constructor(k, columns, values, labels, label) {
    this.#k = k;
    this.columns = Object.freeze(columns);
    this.cols = columns.length;
    this.rows = values.length / columns.length;
    this.values = values;
    this.labels = labels;
    this.label = label;
  }

  /** The values of a column (its name or 0-based index), one per row. */
  column(name) {
    const j = typeof name === 'number' ? name : this.columns.indexOf(name);
    if (!(Number.isInteger(j) && j >= 0 && j < this.cols)) this.#k.fail(`column: no column ${JSON.stringify(name)} (columns: ${this.columns.join(', ')})`);
    return Float32Array.from({ length: this.rows }, (_, i) => this.values[i * this.cols + j]);
  }

  /** A fresh model of this table: its spec (standardisation, value steps,
   * window) fitted to the normal rows, and `vae train --csv`'s defaults
   * (encoder [64]; rows: a Student-t likelihood, activation identity, latent
   * 16, a linear VAE; windows: a learned variance per value, relu, latent
   * 8); other options as VAE.create. */
  async createModel(opts) {
    const k = this.#k;
    const { window = 0, ...rest } = k.options('createModel', opts, ['window', 'encoder', 'decoder', 'latent', 'activation', 'likelihood', 'sigma', 'leakySlope', 'seed']);
    k.integer('createModel', 'window', window, 0, 65536);
    const rt = await runtime(k);
    const spec = rt.scope('createModel', (mem) => {
      const p = rt.x.vw_table_spec(mem.f32(this.values), mem.i32(this.labels), this.rows, this.cols, mem.cstring(joined(this.columns)),
        window, this.label === null ? 0 : mem.cstring(this.label));
      if (!p) throw rt.error('createModel');
      const json = rt.string(p);
      rt.x.free(p);
      return json;
    });
    const fresh = await k.create({ encoder: [64], ...(window ? { latent: 8, likelihood: 'gaussian_learned' } : { activation: 'identity', latent: 16, likelihood: 'student_t' }), ...rest, imageShape: [1, window || 1, this.cols] });
    try {
      return make(k, rt, 'createModel', fresh.toSafetensors({ metadata: { [KEY]: spec } }));
    } finally {
      fresh.dispose();
    }
  }
}

export async function parseCSV(list, input, opts) {
  const k = kitOf(list);
  const o = k.options('parseCSV', opts, ['columns', 'label', 'labelOptional', 'delimiter']);
  const bytes = typeof input === 'string' ? enc.encode(input)
    : input instanceof ArrayBuffer ? new Uint8Array(input)
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : k.fail(`parseCSV: expected the text as a string or bytes (got ${Object.prototype.toString.call(input)})`);
  const delim = o.delimiter === undefined ? 0 : o.delimiter === ',' ? 44 : o.delimiter === '\t' ? 9
    : k.fail(`parseCSV: delimiter must be ',' or '\\t' (got ${JSON.stringify(o.delimiter)})`);
  if (o.columns !== undefined && !Array.isArray(o.columns)) k.fail('parseCSV: columns must be an array of names or 1-based numbers');
  const columns = (o.columns ?? []).map(String);
  const rt = await runtime(k);
  return rt.scope('parseCSV', (mem) => {
    const label = o.label === undefined ? 0 : mem.cstring(String(o.label));
    const t = rt.x.vw_csv_parse(mem.bytes(bytes), bytes.length, delim, mem.cstring(joined(columns)), columns.length, label, o.labelOptional ? 1 : 0);
    if (!t) throw rt.error('parseCSV');
    try {
      const [rows, cols, x, labels, names] = new Int32Array(rt.buffer, t, 5);
      const namePtrs = new Uint32Array(rt.buffer, names, cols).slice();
      return new Table(k, Array.from(namePtrs, (p) => rt.string(p)), mem.readF32(x, rows * cols),
        labels ? new Int32Array(rt.buffer, labels, rows).slice() : null, labels ? String(o.label) : null);
    } finally {
      rt.x.vw_table_free(t);
    }
  });
}

/* The file's table spec JSON (its metadata under KEY), or null. */
function specOf(bytes) {
  try {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    return JSON.parse(dec.decode(bytes.subarray(8, 8 + n))).__metadata__[KEY] ?? null;
  } catch {
    return null;
  }
}

let TableModel = null;

/* A table model of the file's bytes in rt. */
function make(k, rt, what, bytes) {
  TableModel ??= tableModelClass(k);
  const h = rt.scope(what, (mem) => rt.x.vw_model_load(mem.bytes(bytes), bytes.length));
  if (!h) throw rt.error(what);
  return new TableModel(rt, h, specOf(bytes), k);
}

export async function load(list, bytes, name, o) {
  const k = kitOf(list);
  return make(k, await runtime(k, o), name, bytes);
}

/* The class is made on first use: its base, Model, comes from vae.js. */
function tableModelClass(k) {
  return class TableModel extends k.Model {
    #spec;
    #k;

    /** @internal Use VAE.load or table.createModel. */
    constructor(rt, h, spec, kit) {
      super(rt, h);
      this.#spec = spec;
      this.#k = kit;
      let s;
      try {
        s = JSON.parse(spec);
        // The library checks the spec as score() would use it: fail here, at load, instead.
        this.#points('load', new Float32Array(1), Math.max(1, s.window));
      } catch (e) {
        this.dispose();
        if (e.name === 'VAEError') throw e;
        kit.fail(`load: table metadata: ${e.message}`, 'VAE_ERR_METADATA');
      }
      this.table = Object.freeze({ columns: Object.freeze(s.columns), mean: Object.freeze(s.mean), std: Object.freeze(s.std),
        step: Object.freeze(s.step ?? s.columns.map(() => 0)), window: s.window, label: s.label ?? null });
    }

    /* Per-row scores from the scores of the inputs. */
    #points(what, scores, rows) {
      const rt = this._runtime;
      return rt.scope(what, (mem) => {
        const out = mem.alloc(4 * rows);
        rt.check(what, rt.x.vw_table_points(mem.cstring(this.#spec), mem.f32(scores), scores.length, out));
        return mem.readF32(out, rows);
      });
    }

    /* Raw rows (a Table, picked by column name, or values [rows, cols] in
     * the spec's column order) as {x, labels, rows}. */
    #raw(what, data) {
      const { columns } = this.table, C = columns.length;
      if (data instanceof Table) {
        const idx = columns.map((c) => data.columns.indexOf(c));
        const missing = idx.indexOf(-1);
        if (missing >= 0) this.#k.fail(`${what}: the table has no column "${columns[missing]}" (the model reads ${columns.join(', ')})`);
        const x = new Float32Array(data.rows * C);
        for (let i = 0; i < data.rows; i++) for (let j = 0; j < C; j++) x[i * C + j] = data.values[i * data.cols + idx[j]];
        return { x, labels: data.labels, rows: data.rows };
      }
      const { data: x, n } = this.#k.rows(what, 'rows', data, C, `${C} columns: ${columns.join(', ')}`);
      return { x, labels: null, rows: n };
    }

    /* The model inputs of raw rows: {images [n, D], labels (a window's: any row's), n}. */
    #inputs(what, data) {
      const rt = this._runtime, { x, labels, rows } = this.#raw(what, data), D = this.info.inputSize;
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) this.#k.fail(`${what}: value ${bad % this.table.columns.length} of row ${Math.floor(bad / this.table.columns.length)} is not a finite number`, 'VAE_ERR_NONFINITE');
      return rt.scope(what, (mem) => {
        const out = mem.alloc(12);
        const status = rt.x.vw_table_inputs(mem.cstring(this.#spec), mem.f32(x), mem.i32(labels), rows, this.table.columns.length, out);
        const [p, q, n] = new Int32Array(rt.buffer, out, 3);
        try {
          rt.check(what, status);
          return { images: mem.readF32(p, n * D), labels: q ? new Int32Array(rt.buffer, q, n).slice() : null, n, rows };
        } finally {
          rt.x.free(p);
          rt.x.free(q);
        }
      });
    }

    /* The inputs' step widths for the dequantising noise (vae_table_dequant). */
    #widths() {
      const rt = this._runtime, D = this.info.inputSize;
      return rt.scope('trainer', (mem) => {
        const out = mem.alloc(4 * D);
        rt.check('trainer', rt.x.vw_table_dequant(mem.cstring(this.#spec), out));
        return mem.readF32(out, D);
      });
    }

    /** Text read as `vae score --csv` reads it for this model: its columns, its label column if there. */
    parseCSV(input, opts) {
      const o = this.#k.options('parseCSV', opts, ['delimiter', 'label']);
      const label = o.label ?? this.table.label ?? undefined;
      return parseCSV(KIT.map((n) => this.#k[n]), input, { delimiter: o.delimiter, columns: [...this.table.columns], label, labelOptional: o.label === undefined });
    }

    /** One score per row (raw values: a Table or rows [n, cols]), as
     * `vae score --csv` prints them: -log p(x) by importance sampling
     * (`samples` 100, `seed` 1; samples 0: -ELBO at z = mu; an autoencoder:
     * its reconstruction loss), or with a window the mean over the windows
     * that cover it. */
    score(data, opts) {
      const o = this.#k.options('score', opts, ['samples', 'seed']);
      const { images, rows } = this.#inputs('score', data);
      const iwae = this.info.model === 'ae' ? {} : { samples: 100 };
      return this.#points('score', super.score(images, { ...iwae, ...o }), rows);
    }

    /** The weights and the table spec as a safetensors file (for `vae score --csv` too). */
    toSafetensors(opts) {
      const o = this.#k.options('toSafetensors', opts, ['dtype', 'decoderOnly', 'metadata']);
      return super.toSafetensors({ ...o, metadata: { ...o.metadata, [KEY]: this.#spec } });
    }

    /** A trainer whose fit() takes a Table (its normal rows, or windows
     * without a labelled anomaly, as `vae train --csv`) or raw rows; defaults
     * as `vae train --csv`: batchSize 64, lr 0.003, epochs for about 3000
     * steps (at least 10), and noise one value step wide on every batch
     * (`dequant: false`: none, as --no-dequant). */
    trainer(opts) {
      const { dequant = true, ...given } = opts ?? {};
      if (typeof dequant !== 'boolean') this.#k.fail(`trainer: dequant must be true or false (got ${dequant})`);
      const o = { batchSize: 64, lr: 3e-3, ...given };
      const t = super.trainer(o), fit = t.fit.bind(t);
      if (t._opts) t._opts = { ...t._opts, dequant }; // the worker's table model reads it
      else if (dequant) t._dequant = this.#widths();
      t.fit = (data) => {
        if (data?.images) return fit(data); // already inputs (the worker's side)
        const { images, labels, n } = this.#inputs('fit', data), D = this.info.inputSize;
        let kept = images, m = n;
        if (labels) {
          kept = new Float32Array(n * D);
          m = 0;
          for (let i = 0; i < n; i++) if (!labels[i]) kept.set(images.subarray(i * D, (i + 1) * D), D * m++);
          if (!m) this.#k.fail(`fit: every ${this.table.window ? 'window' : 'row'} holds a labelled anomaly: nothing normal to train on`);
          kept = kept.subarray(0, m * D);
        }
        if (opts?.epochs === undefined) {
          const steps = Math.ceil(m / o.batchSize), epochs = steps * 10 < 3000 ? Math.ceil(3000 / steps) : 10;
          if (t._o) t._o.epochs = epochs;
          else t._opts = { ...t._opts, epochs };
        }
        return fit({ images: kept });
      };
      return t;
    }
  };
}
