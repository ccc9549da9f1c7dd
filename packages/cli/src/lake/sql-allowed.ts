/**
 * What `voicelake query --sql` may call: an allow-list of DuckDB's pure functions (they compute
 * a value from their arguments, and touch no file, setting, variable, secret, log or the
 * environment). Anything not listed is refused before the query runs (sql-guard.ts), so a
 * function DuckDB adds later is refused until someone adds it here.
 */

const words = (s: string): string[] => s.trim().split(/\s+/);

/** Aggregates, and the window functions `OVER (…)` may call. */
const AGGREGATES = words(`
  any_value approx_count_distinct approx_quantile approx_top_k arbitrary arg_max arg_max_null
  arg_min arg_min_null argmax argmin array_agg avg bit_and bit_or bit_xor bool_and bool_or corr
  count count_if count_star countif covar_pop covar_samp entropy favg first fsum geomean
  geometric_mean group_concat histogram histogram_exact kahan_sum kurtosis kurtosis_pop last list
  listagg mad max max_by mean median min min_by mode product quantile quantile_cont quantile_disc
  regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy
  reservoir_quantile sem skewness stddev stddev_pop stddev_samp string_agg sum sumkahan var_pop
  var_samp variance wavg weighted_avg
  row_number rank dense_rank rank_dense percent_rank cume_dist ntile lag lead first_value
  last_value nth_value fill
`);

const TEXT = words(`
  ascii bar bit_length char_length character_length chr concat concat_ws contains
  damerau_levenshtein editdist3 ends_with format format_bytes formatreadabledecimalsize
  formatreadablesize hamming ilike_escape instr jaccard jaro_similarity jaro_winkler_similarity
  lcase left left_grapheme len length length_grapheme levenshtein like_escape lower lpad ltrim md5
  md5_number mismatches nfc_normalize not_ilike_escape not_like_escape octet_length ord
  parse_formatted_bytes position prefix printf regexp_escape regexp_extract regexp_extract_all
  regexp_full_match regexp_matches regexp_replace regexp_split_to_array repeat replace reverse
  right right_grapheme rpad rtrim sha1 sha256 split split_part starts_with str_split
  str_split_regex string_split string_split_regex string_to_array strip_accents strlen strpos
  substr substring substring_grapheme suffix translate trim ucase unicode upper url_decode
  url_encode base64 to_base64 from_base64 hex to_hex from_hex unhex bin unbin to_binary
  from_binary encode decode hash
`);

const NUMBERS = words(`
  abs acos acosh add asin asinh atan atan2 atanh bit_count cbrt ceil ceiling cos cosh cot degrees
  divide equi_width_bins even exp factorial fdiv floor fmod gamma gcd greatest
  greatest_common_divisor isfinite isinf isnan lcm least least_common_multiple lgamma ln log log10
  log2 mod multiply nextafter pi pow power radians round round_even roundbankers sign signbit sin
  sinh sqrt subtract tan tanh to_base trunc xor
`);

const TIME = words(`
  age century current_date get_current_time get_current_timestamp
  now today date_add date_diff date_part date_sub date_trunc datediff datepart datesub datetrunc
  day dayname dayofmonth dayofweek dayofyear days_in_month decade epoch epoch_ms epoch_ns epoch_us
  era hour isodow isoyear julian last_day make_date make_time make_timestamp make_timestamp_ms
  make_timestamp_ns make_timestamptz microsecond millennium millisecond minute month monthname
  nanosecond normalized_interval quarter second strftime strptime time_bucket timezone
  timezone_hour timezone_minute to_centuries to_days to_decades to_hours to_microseconds
  to_millennia to_milliseconds to_minutes to_months to_quarters to_seconds to_timestamp to_weeks
  to_years try_strptime week weekday weekofyear year yearweek
`);

/** Lists, structs, maps and JSON values (`[…]`, `{…}` and `MAP {…}` are calls too). */
const NESTED = words(`
  list_value array_value list_extract list_element array_extract element_at list_slice
  array_slice list_contains array_contains list_has array_has list_has_all array_has_all
  list_has_any array_has_any list_position array_position list_indexof array_indexof list_concat
  list_cat array_concat array_cat list_distinct array_distinct list_unique array_unique list_sort
  array_sort list_reverse_sort array_reverse_sort list_transform array_transform list_apply
  array_apply apply list_filter array_filter filter list_reduce array_reduce reduce
  list_aggregate list_aggr array_aggregate array_aggr aggregate list_zip array_zip list_select
  array_select list_where array_where list_grade_up array_grade_up grade_up list_intersect
  array_intersect flatten cardinality array_length array_to_string list_append array_append
  list_prepend array_prepend array_push_back array_push_front array_pop_back array_pop_front
  list_reverse array_reverse list_resize array_resize list_sum list_avg list_min list_max
  list_count list_first list_last list_median list_mode list_string_agg list_any_value
  list_histogram list_product list_stddev_samp list_var_samp list_bool_and list_bool_or
  unnest range generate_series
  struct_pack struct_extract struct_extract_at struct_insert struct_keys struct_values
  struct_concat row map map_extract map_extract_value map_keys map_values map_entries
  map_from_entries map_concat map_contains map_contains_value
  json json_array json_array_length json_contains json_exists json_extract json_extract_path
  json_extract_path_text json_extract_string json_keys json_merge_patch json_object json_pretty
  json_quote json_structure json_transform json_transform_strict json_type json_valid json_value
  to_json array_to_json row_to_json from_json from_json_strict json_group_array json_group_object
  json_group_structure
`);

/**
 * Conditionals and types. `coalesce`, `ifnull`, `if`, `CASE` and casts are syntax, not calls;
 * `iif` is a call DuckDB's binder rewrites into a CASE (so it is not in `duckdb_functions()`).
 */
const OTHER = words('iif nullif typeof');

/** Every function `--sql` may call, lower case. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  ...AGGREGATES,
  ...TEXT,
  ...NUMBERS,
  ...TIME,
  ...NESTED,
  ...OTHER,
]);

/** Table functions that only generate values from their arguments (`FROM range(10)`, `FROM unnest([…])`). */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

/**
 * An operator is a call to a function named by symbols only (`+`, `||`, `->>`, `~~` for LIKE,
 * `!__postfix` for `n!`): every such function is arithmetic, comparison or matching.
 */
/** Where the built-in functions live: `main.lower(…)` and `system.main.lower(…)` name them too (`[1, 2]` is `main.list_value`). */
export const isBuiltInSchema = (catalog: string, schema: string): boolean =>
  (catalog === '' || catalog === 'system') && (schema === '' || schema === 'main');

export const isOperator = (name: string): boolean => /^[^A-Za-z0-9_]+$/.test(name) || name === '!__postfix';
