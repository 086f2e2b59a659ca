#!/usr/bin/env python3
"""The peer measurement: Splink (DuckDB backend) on the datasets our probabilistic mode is judged on,
so that our figures have Splink's beside them, measured on the same machine and data.

Runs inside the venv of scripts/peers_venv.sh (Splink and DuckDB are not Debian packages):
    $(scripts/peers_venv.sh | tail -1)/bin/python scripts/splink_peer.py --dataset febrl4-all \
        --out-dir /tmp/peer/febrl4-all

Datasets (the models follow Splink's own FEBRL3/FEBRL4 DuckDB examples: the same comparisons,
blocking rules and training steps; a names+dob variant keeps only the rules and comparisons that use
given_name, surname and date_of_birth):
  febrl4-names, febrl4-all   link dataset4a.csv x dataset4b.csv; truth rec-N-org <-> rec-N-dup-0
  febrl3-names, febrl3-all   dedupe dataset3.csv; truth: every pair of records sharing rec-N
  gen100k, gen1m             `name_matcher generate --rows 100000|1000000 --seed 5` files, first,
                             middle, last name and birthdate; gen1m blocks on birthdate alone
                             (large: minutes and many GB, run it on purpose only)

Writes to --out-dir:
  predictions.csv  left_id,right_id,match_probability,match_weight: every scored pair with
                   probability >= --csv-min-probability (dedupe pairs: the earlier row first)
  truth.csv        left_id,right_id: the true pairs, in the form `name_matcher evaluate` reads
  figures.json     times, peak RSS, precision/recall/F1 at the best threshold, at 0.5 and at 0.9
Metrics are pairwise: a predicted pair is (left id, right id) with probability >= threshold.
"""
# check_test_deps: peers-venv (imports Splink, DuckDB, pandas, numpy from peers_requirements.txt)
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import duckdb
import numpy as np
import pandas as pd
import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FEBRL_DIR = os.environ.get("NM_FEBRL_DIR", os.path.join(REPO, "..", "shared", "data", "febrl"))
GEN_ROWS = {"gen100k": 100000, "gen1m": 1000000}
DATASETS = ["febrl4-names", "febrl4-all", "febrl3-names", "febrl3-all", "gen100k", "gen1m"]


def sql_str(text):
    return "'" + text.replace("'", "''") + "'"


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux; DuckDB runs in this process, so its memory is counted.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_febrl(path):
    """A FEBRL file: ', '-separated with padded fields; every value a string, blanks as nulls."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda col: col.str.strip())
    df = df.replace("", None).rename(columns={"rec_id": "unique_id"})
    return df


def read_generated(path):
    """A `generate` table. Names are lower-cased: the generator writes some records in capitals
    (AHMED vs Ahmed) and Splink's comparisons are case-sensitive, so this is the cleaning step any
    Splink user would do first."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df[["id", "first_name", "middle_name", "last_name", "birthdate"]]
    for c in ["first_name", "middle_name", "last_name"]:
        df[c] = df[c].str.strip().str.lower()
    df["birthdate"] = df["birthdate"].str.strip()
    return df.replace("", None).rename(columns={"id": "unique_id"})


def febrl_cluster(rec_id):
    return "-".join(rec_id.split("-")[:2])  # rec-N-org, rec-N-dup-K -> rec-N


def load(args):
    """Returns (tables, link_type, truth); truth is a list of (left_id, right_id). Dedupe pairs
    are ordered by row (the earlier record first), as our `run --dedupe` writes them."""
    if args.dataset.startswith("febrl4"):
        a = read_febrl(os.path.join(FEBRL_DIR, "dataset4a.csv"))
        b = read_febrl(os.path.join(FEBRL_DIR, "dataset4b.csv"))
        right_of = {febrl_cluster(i): i for i in b["unique_id"]}
        truth = [(i, right_of[febrl_cluster(i)]) for i in a["unique_id"]
                 if febrl_cluster(i) in right_of]
        return [a, b], "link_only", truth
    if args.dataset.startswith("febrl3"):
        d = read_febrl(os.path.join(FEBRL_DIR, "dataset3.csv"))
        members = {}
        for i in d["unique_id"]:
            members.setdefault(febrl_cluster(i), []).append(i)
        truth = [(m[x], m[y]) for m in members.values()
                 for x in range(len(m)) for y in range(x + 1, len(m))]
        return [d], "dedupe_only", truth
    left, right, truth_path = args.left, args.right, args.truth
    if not (left and right and truth_path):
        left, right, truth_path = generate(args)
    t = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    truth = list(zip(t["left_id"], t["right_id"]))
    return [read_generated(left), read_generated(right)], "link_only", truth


def generate(args):
    data = os.path.join(args.out_dir, "data")
    subprocess.run([args.nm_bin, "generate", "--rows", str(GEN_ROWS[args.dataset]), "--seed", "5",
                    "--out-dir", data, "--quiet"], check=True)
    return [os.path.join(data, f) for f in ("left.csv", "right.csv", "truth.csv")]


def dob(column, fmt):
    return cl.DateOfBirthComparison(column, input_is_string=True, datetime_format=fmt,
                                    invalid_dates_as_null=True)


def model(dataset):
    """Splink's settings and training plan for a dataset (the examples' choices, see the top)."""
    names = dataset.endswith("-names")
    if dataset.startswith("febrl4"):
        swapped = "l.given_name = r.surname and l.surname = r.given_name"
        blocking = [block_on("given_name", "surname"), swapped, block_on("date_of_birth")]
        comparisons = [cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                       cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                       dob("date_of_birth", "%Y%m%d")]
        deterministic = [block_on("given_name", "surname", "date_of_birth")]
        em = [block_on("date_of_birth"), block_on("surname")]
        if not names:
            blocking += [block_on("soc_sec_id"), block_on("state", "address_1"),
                         block_on("street_number", "address_1"), block_on("postcode")]
            comparisons += [
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                    term_frequency_adjustments=True)]
            deterministic = [block_on("soc_sec_id")] + deterministic
            em = [block_on("date_of_birth"), block_on("postcode")]
        return dict(blocking=blocking, comparisons=comparisons, deterministic=deterministic,
                    recall=0.8, u_pairs=1e6, u_seed=1, em=em)
    if dataset.startswith("febrl3"):
        swapped = ("l.given_name = r.surname and l.surname = r.given_name"
                   " and l.date_of_birth = r.date_of_birth")
        blocking = [block_on("given_name"), block_on("surname"), block_on("date_of_birth")]
        comparisons = [cl.NameComparison("given_name"), cl.NameComparison("surname"),
                       dob("date_of_birth", "%Y%m%d")]
        deterministic = [block_on("given_name", "surname", "date_of_birth"), swapped]
        em = [block_on("date_of_birth"), block_on("surname")]
        if not names:
            blocking = [block_on("soc_sec_id")] + blocking + [block_on("postcode")]
            comparisons += [
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)]
            deterministic = [block_on("soc_sec_id")] + deterministic
            em = [block_on("date_of_birth"), block_on("postcode")]
        return dict(blocking=blocking, comparisons=comparisons, deterministic=deterministic,
                    recall=0.9, u_pairs=1e6, u_seed=2, em=em)
    # Generator data: the FEBRL4 names+dob model on first/middle/last name and birthdate.
    swapped = "l.first_name = r.last_name and l.last_name = r.first_name"
    blocking = [block_on("first_name", "last_name"), swapped, block_on("birthdate")]
    if dataset == "gen1m":
        blocking = [block_on("birthdate")]
    return dict(
        blocking=blocking,
        comparisons=[cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                     cl.NameComparison("middle_name"),
                     cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
                     dob("birthdate", "%Y-%m-%d")],
        deterministic=[block_on("first_name", "last_name", "birthdate")],
        recall=0.8, u_pairs=1e7, u_seed=1,
        em=[block_on("birthdate"), block_on("first_name", "last_name")])


def train_and_predict(con, tables, link_type, plan, figures, predict_threshold):
    """Runs Splink; returns the predictions' table name in `con`. Times and RSS go to `figures`."""
    db_api = DuckDBAPI(connection=con)
    # The display names become table names in Splink's SQL, where left/right are keywords.
    names = ["nm_left", "nm_right"] if len(tables) == 2 else ["nm_input"]
    sdfs = [db_api.register(t, dataset_display_name=n) for t, n in zip(tables, names)]
    settings = SettingsCreator(link_type=link_type, unique_id_column_name="unique_id",
                               blocking_rules_to_generate_predictions=plan["blocking"],
                               comparisons=plan["comparisons"])
    linker = Linker(sdfs, settings)
    t0 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(plan["deterministic"],
                                                                  recall=plan["recall"])
    linker.training.estimate_u_using_random_sampling(max_pairs=plan["u_pairs"],
                                                     seed=plan["u_seed"])
    for rule in plan["em"]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    figures["train_seconds"] = round(time.perf_counter() - t0, 3)
    figures["peak_rss_mb_after_train"] = round(peak_rss_mb(), 1)
    t0 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=predict_threshold)
    figures["predict_seconds"] = round(time.perf_counter() - t0, 3)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    figures["probability_two_random_records_match"] = \
        linker._settings_obj._probability_two_random_records_match
    return pred.physical_name


def oriented_predictions(con, table, link_type, tables):
    """A `preds` table of (left_id, right_id, match_probability, match_weight): link pairs with
    the left file's id first, dedupe pairs with the earlier row's id first."""
    if link_type == "link_only":
        con.sql(f"""create table preds as select
            case when source_dataset_l = 'nm_left' then unique_id_l else unique_id_r end as left_id,
            case when source_dataset_l = 'nm_left' then unique_id_r else unique_id_l end as right_id,
            match_probability, match_weight from {table}""")
        return
    rows = pd.DataFrame({"id": tables[0]["unique_id"], "row_no": np.arange(len(tables[0]))})
    con.register("row_of", rows)
    con.sql(f"""create table preds as select
        case when a.row_no < b.row_no then p.unique_id_l else p.unique_id_r end as left_id,
        case when a.row_no < b.row_no then p.unique_id_r else p.unique_id_l end as right_id,
        p.match_probability, p.match_weight
        from {table} p join row_of a on a.id = p.unique_id_l join row_of b on b.id = p.unique_id_r""")


def prf(tp, predicted, true_pairs):
    p = tp / predicted if predicted else 0.0
    r = tp / true_pairs if true_pairs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 6), "recall": round(r, 6), "f1": round(f, 6),
            "predicted_pairs": int(predicted), "true_positives": int(tp)}


def score(con, truth):
    """Precision/recall/F1 of the pairs with probability >= t: at every distinct predicted
    probability (the best F1 kept), at 0.5 and at 0.9; and the blocking recall (true pairs among
    all scored pairs, the ceiling of any threshold)."""
    con.register("truth_df", pd.DataFrame(truth, columns=["left_id", "right_id"]))
    con.sql("create table truth as select distinct * from truth_df")
    n_true = con.sql("select count(*) from truth").fetchall()[0][0]
    prob, hit = con.sql("""select p.match_probability, t.left_id is not null
        from preds p left join truth t using (left_id, right_id)
        order by p.match_probability desc""").fetchnumpy().values()
    prob, hit = np.asarray(prob, dtype=float), np.asarray(hit, dtype=bool)
    tp = np.cumsum(hit)
    n = np.arange(1, len(prob) + 1)
    # The set predicted at threshold prob[i] is every pair down to the last one tied with it.
    last = np.r_[prob[1:] != prob[:-1], True] if len(prob) else np.array([], dtype=bool)
    out = {"true_pairs": int(n_true), "scored_pairs": int(len(prob)),
           "blocking_recall": round(float(tp[-1]) / n_true, 6) if len(prob) and n_true else 0.0}
    if last.any():
        f1 = 2 * tp[last] / (n[last] + n_true)
        i = int(np.argmax(f1))
        best = prf(tp[last][i], n[last][i], n_true)
        best["threshold"] = float(prob[last][i])
        out["best"] = best
    else:
        out["best"] = dict(prf(0, 0, n_true), threshold=None)
    for t in (0.5, 0.9):
        k = int(np.searchsorted(-prob, -t, side="right"))  # pairs with prob >= t
        out["at_%s" % t] = prf(tp[k - 1] if k else 0, k, n_true)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, choices=DATASETS)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--left", help="generator left.csv (gen*; default: generate into OUT/data)")
    ap.add_argument("--right", help="generator right.csv")
    ap.add_argument("--truth", help="generator truth.csv")
    ap.add_argument("--nm-bin", default=os.environ.get(
        "NM_BIN", os.path.join(REPO, "build", "release", "name_matcher")),
        help="name_matcher, to generate gen* data when --left/--right/--truth are not given")
    ap.add_argument("--predict-threshold", type=float, default=None,
                    help="Splink's threshold_match_probability at predict (default: none, every "
                         "blocked pair is scored and kept, so the sweep sees them all)")
    ap.add_argument("--csv-min-probability", type=float, default=0.01,
                    help="pairs written to predictions.csv (default 0.01)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    t0 = time.perf_counter()
    tables, link_type, truth = load(args)
    figures = {"dataset": args.dataset, "link_type": link_type, "tool": "splink",
               "splink_version": splink.__version__, "duckdb_version": duckdb.__version__,
               "python_version": sys.version.split()[0], "rows": [len(t) for t in tables]}
    figures["load_seconds"] = round(time.perf_counter() - t0, 3)
    con = duckdb.connect()
    # An in-memory database spills to ./.tmp by default; keep that out of the caller's cwd.
    con.sql("set temp_directory = %s" % sql_str(os.path.join(args.out_dir, "duckdb_tmp")))
    figures["duckdb_threads"] = con.sql("select current_setting('threads')").fetchall()[0][0]
    plan = model(args.dataset)
    figures["blocking_rules"] = [r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql
                                 for r in plan["blocking"]]
    t_all = time.perf_counter()
    table = train_and_predict(con, tables, link_type, plan, figures, args.predict_threshold)
    oriented_predictions(con, table, link_type, tables)
    figures["total_seconds"] = round(time.perf_counter() - t_all, 3)
    figures.update(score(con, truth))

    con.sql("copy (select left_id, right_id from truth order by all) to %s (header)"
                % sql_str(os.path.join(args.out_dir, "truth.csv")))
    con.sql("""copy (select left_id, right_id, match_probability, match_weight from preds
        where match_probability >= %r order by match_probability desc, left_id, right_id)
        to %s (header)""" % (args.csv_min_probability,
                             sql_str(os.path.join(args.out_dir, "predictions.csv"))))
    figures["csv_min_probability"] = args.csv_min_probability
    with open(os.path.join(args.out_dir, "figures.json"), "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")
    b = figures["best"]
    print("%s: splink %s best F1 %.4f (P %.4f R %.4f at p>=%s), train %.1f s, predict %.1f s, "
          "peak RSS %.0f MB" % (args.dataset, splink.__version__, b["f1"], b["precision"],
                                b["recall"], b["threshold"], figures["train_seconds"],
                                figures["predict_seconds"], figures["peak_rss_mb"]))


if __name__ == "__main__":
    main()
