# secretfree for Gatekeeper: the rules of the secretfree core as a ConstraintTemplate.
#
# This file is the source of template.yaml (`just gatekeeper` copies it there). The section
# between the `generated` markers is written from the Rust tables (src/rules.rs, src/keys.rs,
# src/grammar/regions.rs); tests/gatekeeper.rs fails when it is stale and runs this Rego over the
# whole case corpus against the core.
#
# Input: Gatekeeper's `input.review` (the AdmissionRequest) and `input.parameters` (the
# policy's settings, plus `action`: which findings this constraint reports, `deny` (default)
# or `warn`). Context: `data.inventory.cluster.v1.Namespace` when Gatekeeper syncs Namespaces.
# Mutation is off: Gatekeeper validates only, so a repairable finding denies.
package ecisecretfree

# ---------------------------------------------------------------------------------------------
# generated:start (from the Rust tables; `just gatekeeper` rewrites it)
# The rules (src/rules.rs): default action and summary by id.
rule_table := {
	"annotation-misplaced": {"action": "deny", "summary": "ACR pull annotation on a controller's own metadata (or a CronJob's jobTemplate metadata) but not in the pod template (or there with another value), or written as a label, where ECI never sees it; mutation moves it"},
	"annotation-duplicated": {"action": "warn", "summary": "the same ACR pull annotation with the same value on a controller's own metadata (or a CronJob's jobTemplate metadata) and in its pod template (kustomize `commonAnnotations`, many Helm charts): the pods get the template's copy, the other has no effect; never mutated, so GitOps tools see no drift"},
	"annotation-on-existing-pod": {"action": "warn", "summary": "UPDATE of a bound pod (`spec.nodeName` set) that adds, changes or removes ACR pull annotations: ECI reads them only when it creates the instance (what the update adds still goes through the access gate; an unbound pod's UPDATE is judged like a create)"},
	"annotation-key-unknown": {"action": "deny", "summary": "near-miss of a known ECI annotation key (case, `_`, wrong prefix, singular/plural, edit distance <= 2); ECI ignores it"},
	"annotation-key-legacy": {"action": "warn", "summary": "singular `k8s.aliyun.com/acr-instance-id` (older docs); mutation renames it to `acr-instance-ids`"},
	"annotations-off-eci": {"action": "warn", "summary": "ACR pull annotations on a pod that shows no ECI signal (label, nodeSelector, affinity, toleration, nodeName, burst annotation): pods on ordinary nodes ignore them; a namespace label or eci-profile the policy cannot see may still send the pod to ECI (list such namespaces in `eciScope.namespaces`)"},
	"instance-id-invalid": {"action": "deny", "summary": "`acr-instance-ids` token not `[<region>:]cri-[a-z0-9]{16}` (an id written before its region included), or an empty token; a separator other than a comma, a repeated id or an id of another length only warn (not documented)"},
	"instance-region-unknown": {"action": "warn", "summary": "region prefix in `acr-instance-ids` fits the grammar but is not in the policy's list of Alibaba Cloud regions (from Alibaba Cloud's endpoint tables); \"did you mean\" only for a one-character typo"},
	"role-arn-invalid": {"action": "deny", "summary": "`acr-service-arns` / `acr-user-arns` not `acs:ram::<16 digits>:role/<name>`; more than one ARN in a key or `_` in the name only warns (the documentation shows one ARN per key and does not say whether several are read)"},
	"placeholder-value": {"action": "deny", "summary": "masked or template value instead of a real one: `*` runs (`****`), `<...>`, `${...}` / `{{...}}`, or an id or account made entirely of `x` (`cri-xxxxxxxxxxxxxxxx`); never a substring of a real name (`boxxxer` is fine)"},
	"user-arn-without-service-arn": {"action": "deny", "summary": "`acr-user-arns` without `acr-service-arns`: the cross-account chain needs both roles"},
	"cross-account-same-account": {"action": "warn", "summary": "service and user role ARNs are in the same account, so the cross-account chain is pointless"},
	"service-arn-wrong-account": {"action": "deny", "summary": "service role is not in the ECI account (`accountId`); ECI can only assume roles of its own account"},
	"cross-account-without-roles": {"action": "deny", "summary": "image from a registry that the settings say another account owns (`customDomains[].accountId`, `instances[].accountId`, compared with `accountId`) while the pod lacks `acr-user-arns` (with `acr-service-arns`), or names a user role in yet another account"},
	"image-invalid": {"action": "deny", "summary": "image reference that does not parse (distribution reference grammar)"},
	"custom-domain-missing-instance": {"action": "deny", "summary": "image on a configured custom domain whose instance id is not in `acr-instance-ids`; mutation adds it"},
	"instance-region-prefix-missing": {"action": "deny", "summary": "instance in another region than `clusterRegion` listed without `<region>:` prefix, or with the wrong one; mutation fixes the prefix"},
	"external-image-without-secret": {"action": "warn", "summary": "non-ACR image, not matched by `anonymousImages`, and no `imagePullSecrets`: secret-free pulling cannot work for it"},
	"pull-secret-redundant": {"action": "warn", "summary": "every image can pull secret-free but `imagePullSecrets` are set"},
	"vpc-endpoint-other-region": {"action": "warn", "summary": "`-vpc` ACR endpoint in a region other than `clusterRegion`: VPC endpoints resolve only in their own region"},
	"personal-public-endpoint": {"action": "warn", "summary": "new Personal Edition (`crpi-`) public endpoint, which cannot be used to pull; use its `-vpc` endpoint"},
	"classic-network-endpoint": {"action": "warn", "summary": "classic network endpoint `registry[-intl]-internal.<region>.aliyuncs.com` on a pod that may run on ECI: ECI runs in a VPC, which does not reach the classic network endpoint; use the `-vpc` endpoint"},
	"acr-host-insecure-listed": {"action": "warn", "summary": "an ACR host listed in `plain-http-registry` / `insecure-registry` (ACR always serves valid TLS)"},
	"registry-list-invalid": {"action": "deny", "summary": "`plain-http-registry` / `insecure-registry` not a comma-separated list of `host[:port]`"},
	"role-not-allowed": {"action": "deny", "summary": "a service or user role ARN that `access` does not allow for the namespace"},
	"instance-not-allowed": {"action": "deny", "summary": "an id in `acr-instance-ids`, or the instance behind a pulled image (a configured custom domain, or a default domain of an instance in `instances`), that `access` does not allow for the namespace"},
	"ram-role-not-allowed": {"action": "deny", "summary": "`k8s.aliyun.com/eci-ram-role-name` (the RAM role the ECI instance assumes) not in the namespace's `access[].ramRoleNames` (checked when the entry lists them)"},
	"imagecache-images-invalid": {"action": "deny", "summary": "ImageCache `spec.images` empty or unparseable (deny), or more than 20 images (warn)"},
	"imagecache-size-invalid": {"action": "deny", "summary": "ImageCache `spec.imageCacheSize` not an integer in 20..=32768 (GiB)"},
	"imagecache-retention-invalid": {"action": "deny", "summary": "ImageCache `spec.retentionDays` not an integer in 1..=65536"},
	"imagecache-secret-ref-invalid": {"action": "deny", "summary": "ImageCache `spec.imagePullSecrets` item not `<namespace>:<secret name>`"},
	"imc-id-invalid": {"action": "warn", "summary": "`k8s.aliyun.com/eci-imc-id` / `eci-image-snapshot-id` not an image cache id (`imc-...`)"},
	"rule-skipped": {"action": "warn", "summary": "`secretfree.io/skip: rule-a,rule-b` on the pod (template) or ImageCache metadata turned rules off for the object, or named an unknown rule or one the settings do not let objects skip (the access gate unless `allowSkip` lists it): every skip shows in audits"},
	"request-invalid": {"action": "deny", "summary": "malformed input (not JSON/YAML, wrong shapes, invalid UTF-8, absurd size or depth): fail closed"},
}

# Annotation keys (src/keys.rs).
instance_ids_key := "k8s.aliyun.com/acr-instance-ids"

legacy_key := "k8s.aliyun.com/acr-instance-id"

service_arns_key := "k8s.aliyun.com/acr-service-arns"

user_arns_key := "k8s.aliyun.com/acr-user-arns"

plain_http_registry_key := "k8s.aliyun.com/plain-http-registry"

insecure_registry_key := "k8s.aliyun.com/insecure-registry"

imc_id_key := "k8s.aliyun.com/eci-imc-id"

image_snapshot_id_key := "k8s.aliyun.com/eci-image-snapshot-id"

ram_role_name_key := "k8s.aliyun.com/eci-ram-role-name"

eci_label := "alibabacloud.com/eci"

acs_label := "alibabacloud.com/acs"

# The keys that configure a secret-free pull.
acr_pull_keys := [
	"k8s.aliyun.com/acr-instance-ids",
	"k8s.aliyun.com/acr-service-arns",
	"k8s.aliyun.com/acr-user-arns",
	"k8s.aliyun.com/acr-instance-id",
]

# Every k8s.aliyun.com/ key ECI documents: never a near miss.
known_keys := {
	"k8s.aliyun.com/acr-instance-ids",
	"k8s.aliyun.com/acr-instance-id",
	"k8s.aliyun.com/acr-service-arns",
	"k8s.aliyun.com/acr-user-arns",
	"k8s.aliyun.com/plain-http-registry",
	"k8s.aliyun.com/insecure-registry",
	"k8s.aliyun.com/eci-imc-id",
	"k8s.aliyun.com/eci-image-snapshot-id",
	"k8s.aliyun.com/eci-auto-imc",
	"k8s.aliyun.com/imc-perfect-match",
	"k8s.aliyun.com/imc-match-count-request",
	"k8s.aliyun.com/eci-image-cache",
	"k8s.aliyun.com/imc-enable-reuse",
	"k8s.aliyun.com/imc-enable-flash",
	"k8s.aliyun.com/imc-cpu-arch",
	"k8s.aliyun.com/imc-os-type",
	"k8s.aliyun.com/vswitch-ids",
	"k8s.aliyun.com/security-group-id",
	"k8s.aliyun.com/resource-group-id",
	"k8s.aliyun.com/eci-ram-role-name",
	"k8s.aliyun.com/eci-instance-id",
	"k8s.aliyun.com/eci-matched-image-cache",
	"k8s.aliyun.com/eci-request-id",
	"k8s.aliyun.com/image-accelerate-mode",
	"k8s.aliyun.com/p2p-config",
}

# Keys whose misspellings are reported (annotation-key-unknown).
near_miss_targets := [
	"k8s.aliyun.com/acr-instance-ids",
	"k8s.aliyun.com/acr-service-arns",
	"k8s.aliyun.com/acr-user-arns",
	"k8s.aliyun.com/plain-http-registry",
	"k8s.aliyun.com/insecure-registry",
	"k8s.aliyun.com/eci-imc-id",
	"k8s.aliyun.com/eci-image-snapshot-id",
]

# Prefixes people write instead of k8s.aliyun.com.
lookalike_prefixes := {
	"",
	"k8s.alibabacloud.com",
	"alibabacloud.com",
	"aliyun.com",
	"eci.aliyun.com",
	"eci.alibabacloud.com",
	"k8s.aliyuncs.com",
	"aliyuncs.com",
	"acr.aliyun.com",
	"kubernetes.aliyun.com",
}

# Alibaba Cloud region ids (src/grammar/regions.rs).
known_regions := {
	"cn-qingdao",
	"cn-beijing",
	"cn-zhangjiakou",
	"cn-huhehaote",
	"cn-wulanchabu",
	"cn-hangzhou",
	"cn-shanghai",
	"cn-nanjing",
	"cn-fuzhou",
	"cn-wuhan-lr",
	"cn-shenzhen",
	"cn-heyuan",
	"cn-guangzhou",
	"cn-chengdu",
	"cn-hongkong",
	"cn-zhengzhou-jva",
	"ap-northeast-1",
	"ap-northeast-2",
	"ap-southeast-1",
	"ap-southeast-2",
	"ap-southeast-3",
	"ap-southeast-5",
	"ap-southeast-6",
	"ap-southeast-7",
	"ap-southeast-8",
	"ap-south-1",
	"us-west-1",
	"us-east-1",
	"us-southeast-1",
	"na-south-1",
	"eu-central-1",
	"eu-west-1",
	"me-east-1",
	"me-central-1",
	"cn-hangzhou-finance",
	"cn-shanghai-finance-1",
	"cn-shenzhen-finance-1",
	"cn-beijing-finance-1",
	"cn-north-2-gov-1",
	"cn-qingdao-nebula",
	"cn-heyuan-acdr-1",
}

# The most entries of a list the policy reads.
max_list_entries := 64

# The most findings of one rule a report lists (src/checks/mod.rs).
max_per_rule := 10

# The per-object opt-out (src/skip.rs): its key and the most ids it reads.
skip_key := "secretfree.io/skip"

max_skip_ids := 64

# Rules no allowSkip lets an object skip.
never_skippable := {
	"rule-skipped",
	"request-invalid",
}

# Rules an object may skip only when allowSkip lists them (without allowSkip, every
# other rule may be skipped).
skippable_only_if_allowed := {
	"role-not-allowed",
	"instance-not-allowed",
	"ram-role-not-allowed",
}
# generated:end
# ---------------------------------------------------------------------------------------------

# What the constraint reports.

violation contains {"msg": msg, "details": {"rule": f.rule, "path": f.path, "fix": f.fix}} if {
	some f in findings
	f.action == reported_action
	msg := sprintf("[%s] %s", [f.rule, f.message])
}

reported_action := a if {
	a := params.action
	is_string(a)
} else := "deny"

params := p if {
	p := input.parameters
	is_object(p)
} else := {}

# A finding's action: the rule's default, or `warn` for what the core only warns about unless
# the settings say otherwise, overridden by `rules:`; `off` drops it.
findings contains object.union(f, {"action": act}) if {
	some f in raw_findings
	act := action_of(f)
	act != "off"
}

action_of(f) := "off" if {
	# An object's secretfree.io/skip turns the rule off for it.
	f.rule in skipped_rules
} else := a if {
	a := params.rules[f.rule]
	is_string(a)
} else := "off" if {
	# YAML 1.1 reads an unquoted off as false.
	params.rules[f.rule] == false
} else := "warn" if {
	f.soft
} else := rule_table[f.rule].action

rule_on(rule) if {
	not params.rules[rule] in {"off", false}
	not rule in skipped_rules
}

# A malformed request is only that; otherwise the request is judged.
raw_findings := invalid_findings if {
	count(invalid_findings) > 0
} else := judged_findings

finding(rule, path, message, fix) := {"rule": rule, "path": path, "message": message, "fix": fix, "soft": false}

soft_finding(rule, path, message, fix) := {"rule": rule, "path": path, "message": message, "fix": fix, "soft": true}

# ---------------------------------------------------------------------------------------------
# Small helpers: absent and null are the same, JSON pointers, quoting, globs.

get(o, k, d) := o[k] if {
	is_object(o)
	o[k] != null
} else := d

has(o, k) if get(o, k, null) != null

list(o, k) := v if {
	v := get(o, k, [])
	is_array(v)
} else := []

str_map(o) := o if {
	is_object(o)
} else := {}

escape(key) := replace(replace(key, "~", "~0"), "/", "~1")

ann_path(meta_path, key) := sprintf("%s/annotations/%s", [meta_path, escape(key)])

quote(s) := json.marshal(s)

# '*' matches any run (including '/'), '?' one character, the rest is literal.
glob_match(pattern, text) if {
	is_string(pattern)
	is_string(text)
	regex.match(concat("", ["(?s)^", concat("", [glob_char(c) | some c in split(pattern, "")]), "$"]), text)
}

glob_char("*") := ".*"

glob_char("?") := "."

glob_char(c) := concat("", ["\\", c]) if {
	not c in {"*", "?"}
	regex.match(`^[\\.+()\[\]{}^$|]$`, c)
} else := c if not c in {"*", "?"}

any_glob(patterns, text) if {
	some p in patterns
	glob_match(p, text)
}

# Levenshtein distance of at most one.
within_one(a, b) if a == b

within_one(a, b) if {
	count(a) == count(b)
	count(a) > 0
	diffs := [i | some i in numbers.range(0, count(a) - 1); substring(a, i, 1) != substring(b, i, 1)]
	count(diffs) == 1
}

within_one(a, b) if {
	count(a) == count(b) + 1
	some i in numbers.range(0, count(a) - 1)
	concat("", [substring(a, 0, i), substring(a, i + 1, -1)]) == b
}

within_one(a, b) if {
	count(b) == count(a) + 1
	within_one(b, a)
}

# The strings one edit away from s, with inserted and substituted characters taken from alphabet.
one_edit(s, alphabet) := deletions | (substitutions | insertions) if {
	n := count(s)
	deletions := {concat("", [substring(s, 0, i), substring(s, i + 1, -1)]) | n > 0; some i in numbers.range(0, n - 1)}
	substitutions := {concat("", [substring(s, 0, i), c, substring(s, i + 1, -1)]) | n > 0; some i in numbers.range(0, n - 1); some c in alphabet}
	insertions := {concat("", [substring(s, 0, i), c, substring(s, i, -1)]) | some i in numbers.range(0, n); some c in alphabet}
}

# The edit distance of a and b when it is at most two.
edit_distance_2(a, b) := 0 if {
	a == b
} else := 1 if {
	within_one(a, b)
} else := 2 if {
	abs(count(a) - count(b)) <= 2
	alphabet := {c | some c in split(a, "")} | {c | some c in split(b, "")}
	count(one_edit(a, alphabet) & one_edit(b, alphabet)) > 0
}

# ---------------------------------------------------------------------------------------------
# Grammars (src/grammar/): regions, instance ids, role ARNs, host[:port], placeholders.

is_region_grammar(s) if regex.match(`^[a-z]{2}(-[a-z0-9]+)+$`, s)

is_known_region(s) if s in known_regions

# The one known region one edit away (a different digit is another region, not a typo).
closest_region(s) := r if {
	lower(s) in known_regions
	r := lower(s)
} else := r if {
	close := {k | some k in known_regions; within_one(lower(s), k); not digit_swap(lower(s), k)}
	count(close) == 1
	some r in close
}

digit_swap(a, b) if {
	count(a) == count(b)
	diffs := [i | some i in numbers.range(0, count(a) - 1); substring(a, i, 1) != substring(b, i, 1)]
	count(diffs) == 1
	regex.match(`^[0-9]$`, substring(a, diffs[0], 1))
	regex.match(`^[0-9]$`, substring(b, diffs[0], 1))
}

is_cri_id(s) if regex.match(`^cri-[a-z0-9]{16}$`, s)

cri_id_odd_length(s) if {
	regex.match(`^cri-[a-z0-9]+$`, s)
	count(s) != 20
}

is_account_id(s) if regex.match(`^[0-9]{16}$`, s)

is_role_name(s) if regex.match(`^[A-Za-z0-9._-]{1,64}$`, s)

all_x(s) if regex.match(`^[xX]{3,}$`, s)

# What kind of placeholder copied from documentation a value is: `template` (`${...}`,
# `{{...}}`), `slot` (`<...>`) or `masked` (`****`, an id or account made of x).
placeholder_kind(s) := "template" if {
	regex.match(`\$\{|\{\{`, s)
} else := "slot" if {
	regex.match(`(?s)<.*>`, s)
} else := "masked" if {
	contains(s, "**")
} else := "masked" if {
	masked_with_x(s)
}

is_placeholder(s) if placeholder_kind(s)

placeholder_text(s) := "a template expression that was never rendered" if {
	placeholder_kind(s) == "template"
} else := "a <...> placeholder like those in the documentation, not a real value" if {
	placeholder_kind(s) == "slot"
} else := "a masked value like those in the documentation's examples, not a real one"

masked_with_x(s) if all_x(trim_space(s))

masked_with_x(s) if {
	some field in regex.split(`[,;:/|.\t\n\v\f\r ]`, trim_space(s))
	regex.match(`^(cri|crpi|imc)-x+(-vpc)?$`, lower(field))
}

masked_with_x(s) if {
	some arn in regex.split(`[,;\t\n\v\f\r ]`, trim_space(s))
	startswith(lower(arn), "acs:")
	parts := split(arn, ":")
	count(parts) > 3
	all_x(parts[3])
}

# `[<region>:]cri-...` tokens of an acr-instance-ids value, each {raw, ok, region, id, problem}.
instance_tokens(value) := [] if {
	trim_space(value) == ""
} else := [parse_instance_token(t) | some segment in regex.split(`[,;|]`, value); some t in segment_pieces(segment)]

segment_pieces(segment) := [""] if {
	trim_space(segment) == ""
} else := regex.split(`[\t\n\v\f\r ]+`, trim_space(segment))

instance_list_bad_separator(value) if regex.match(`[;|]`, value)

instance_list_bad_separator(value) if {
	some segment in regex.split(`[,;|]`, value)
	regex.match(`[\t\n\v\f\r ]`, trim_space(segment))
}

instance_list_too_long(value) if count(instance_tokens(value)) > max_list_entries

parse_instance_token(t) := {"raw": t, "ok": false, "problem": "empty"} if {
	t == ""
} else := {"raw": t, "ok": false, "problem": "placeholder"} if {
	is_placeholder(t)
} else := token if {
	contains(t, ":")
	i := indexof(t, ":")
	region := substring(t, 0, i)
	id := substring(t, i + 1, -1)
	token := region_token(t, region, id)
} else := {"raw": t, "ok": true, "region": null, "id": t} if {
	is_cri_id(t)
} else := {"raw": t, "ok": false, "problem": "id", "id": t}

region_token(t, region, id) := {"raw": t, "ok": false, "problem": "reversed", "fixed": sprintf("%s:%s", [id, region])} if {
	not is_region_grammar(region)
	is_cri_id(region)
	is_region_grammar(id)
} else := {"raw": t, "ok": false, "problem": "region", "region": region} if {
	not is_region_grammar(region)
} else := {"raw": t, "ok": true, "region": region, "id": id} if {
	is_cri_id(id)
} else := {"raw": t, "ok": false, "problem": "id", "id": id}

listed_ids(value) := {t.id | some t in instance_tokens(value); t.ok}

duplicate_ids(value) := {id |
	oks := [t.id | some t in instance_tokens(value); t.ok]
	some id in oks
	count([x | some x in oks; x == id]) > 1
}

# The ARNs of a role key that lists several (split on ',', ';' and whitespace).
split_arns(value) := [p | some p in regex.split(`[,;\t\n\v\f\r ]`, value); p != ""]

# Why a role ARN value does not parse (`ok` when it does).
arn_problem(value) := "empty" if {
	trim_space(value) == ""
} else := "placeholder" if {
	is_placeholder(trim_space(value))
} else := "multiple" if {
	count(split_arns(value)) > 1
} else := "ok" if {
	regex.match(`^acs:ram::[0-9]{16}:role/[A-Za-z0-9._-]{1,64}$`, trim_space(value))
} else := "malformed"

arn_of(value) := {"account": parts[3], "role": substring(parts[4], 5, -1)} if {
	parts := split(trim_space(value), ":")
}

arn_reason(v) := "this is an ACR resource ARN, not a RAM role ARN (acs:ram::<account id>:role/<name>)" if {
	startswith(v, "acs:cr:")
} else := "prefix must be lower-case \"acs:ram::\"" if {
	not startswith(v, "acs:ram::")
	startswith(lower(v), "acs:ram::")
} else := "region field must be empty (\"acs:ram::<account id>:role/<name>\")" if {
	not startswith(v, "acs:ram::")
	startswith(v, "acs:ram:")
} else := "must start with \"acs:ram::\"" if {
	not startswith(v, "acs:ram::")
} else := "account id must be 16 digits" if {
	not regex.match(`^acs:ram::[0-9]{16}:`, v)
} else := "resource must be \"role/<name>\"" if {
	not regex.match(`^acs:ram::[0-9]{16}:role/`, v)
} else := "role name is empty or longer than 64 characters" if {
	not regex.match(`^acs:ram::[0-9]{16}:role/.{1,64}$`, v)
} else := "role name contains a character other than letters, digits, '.', '-' and '_'"

# host[:port] (src/grammar/hostport.rs): {host, port} where port is null or a number.
host_port(text) := hp if {
	startswith(text, "[")
	contains(text, "]")
	i := indexof(text, "]")
	inner := substring(text, 1, i - 1)
	regex.match(`^[0-9A-Fa-f:]+$`, inner)
	rest := substring(text, i + 1, -1)
	port := bracket_port(rest)
	hp := {"host": substring(text, 0, i + 1), "port": port}
} else := hp if {
	not startswith(text, "[")
	parts := split_once(text, ":")
	port := port_number(parts[1])
	valid_dns_host(parts[0])
	hp := {"host": parts[0], "port": port}
}

split_once(text, sep) := [substring(text, 0, i), substring(text, i + count(sep), -1)] if {
	contains(text, sep)
	i := indexof(text, sep)
} else := [text, null]

bracket_port(rest) := null if {
	rest == ""
} else := port_number(substring(rest, 1, -1)) if {
	startswith(rest, ":")
}

port_number(p) := null if {
	p == null
} else := n if {
	regex.match(`^[0-9]+$`, p)
	n := to_number(p)
	n >= 1
	n <= 65535
}

valid_dns_host(host) if {
	host != ""
	not endswith(host, ".")
	every label in split(host, ".") {
		regex.match(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`, label)
	}
}

is_rfc1123(hp) if {
	startswith(hp.host, "[")
	contains(hp.host, ":")
}

is_rfc1123(hp) if {
	not startswith(hp.host, "[")
	count(hp.host) <= 253
	every label in split(hp.host, ".") {
		count(label) <= 63
	}
}

# ---------------------------------------------------------------------------------------------
# Image references (src/image.rs, the distribution reference grammar).

# {ok: true, host, port, path, tag, digest} or {ok: false, reason}.
parse_image(s) := {"ok": false, "reason": reason} if {
	reason := image_error(s)
} else := image_parts(s)

image_error(s) := "image reference is empty" if {
	s == ""
} else := "image reference has leading or trailing whitespace" if {
	regex.match(`^[\t\n\v\f\r ]|[\t\n\v\f\r ]$`, s)
} else := "image reference contains an invalid character" if {
	regex.match(`[^A-Za-z0-9._/:@+\[\]-]`, s)
} else := "image reference has more than one '@'" if {
	count(indexof_n(s, "@")) > 1
} else := reason if {
	digest := split_once(s, "@")[1]
	digest != null
	reason := digest_error(digest)
} else := "repository name is empty" if {
	image_name_tag(s).name == ""
} else := reason if {
	tag := image_name_tag(s).tag
	tag != null
	reason := tag_error(tag)
} else := "a 64-character hex string is an image ID, not a repository name" if {
	nt := image_name_tag(s)
	nt.tag == null
	not contains(s, "@")
	regex.match(`^[0-9a-f]{64}$`, nt.name)
} else := reason if {
	first := split_once(image_name_tag(s).name, "/")
	first[1] != null
	is_domain_component(first[0])
	not host_port(first[0])
	reason := sprintf("registry host %s is invalid", [quote(first[0])])
} else := reason if {
	reason := path_error(image_domain(s).path)
} else := "repository name is longer than 255 characters" if {
	count(image_name(image_parts(s))) > 255
}

image_name_tag(s) := {"name": name_tag, "tag": null} if {
	name_tag := split_once(s, "@")[0]
	not contains(name_tag, ":")
} else := {"name": name_tag, "tag": null} if {
	name_tag := split_once(s, "@")[0]
	parts := split(name_tag, ":")
	contains(parts[count(parts) - 1], "/")
} else := {"name": substring(name_tag, 0, i), "tag": substring(name_tag, i + 1, -1)} if {
	name_tag := split_once(s, "@")[0]
	i := max(indexof_n(name_tag, ":"))
}

is_domain_component(first) if regex.match(`[.:]`, first)

is_domain_component(first) if first == "localhost"

is_domain_component(first) if regex.match(`[A-Z]`, first)

image_domain(s) := {"host": lower(hp.host), "port": hp.port, "path": parts[1]} if {
	parts := split_once(image_name_tag(s).name, "/")
	parts[1] != null
	is_domain_component(parts[0])
	hp := host_port(parts[0])
} else := {"host": "docker.io", "port": null, "path": image_name_tag(s).name}

image_parts(s) := {"ok": true, "host": host, "port": d.port, "path": path, "tag": image_name_tag(s).tag, "digest": split_once(s, "@")[1]} if {
	d := image_domain(s)
	host := docker_host(d)
	path := docker_path(host, d)
}

docker_host(d) := "docker.io" if {
	d.host == "index.docker.io"
	d.port == null
} else := d.host

docker_path(host, d) := concat("/", ["library", d.path]) if {
	host == "docker.io"
	d.port == null
	not contains(d.path, "/")
} else := d.path

tag_error(tag) := "empty tag after ':'" if {
	tag == ""
} else := "tag is longer than 128 characters" if {
	count(tag) > 128
} else := sprintf("tag %s must start with a letter, digit or '_'", [quote(tag)]) if {
	not regex.match(`^[A-Za-z0-9_]`, tag)
} else := sprintf("tag %s contains an invalid character", [quote(tag)]) if {
	not regex.match(`^[A-Za-z0-9_.-]+$`, tag)
}

digest_error(d) := sprintf("digest %s must have the form <algorithm>:<hex>, e.g. sha256:<64 hex>", [quote(d)]) if {
	not contains(d, ":")
} else := sprintf("digest algorithm %s is invalid", [quote(alg)]) if {
	alg := split_once(d, ":")[0]
	not regex.match(`^[a-z0-9]+([.+_-][a-z0-9]+)*$`, alg)
} else := sprintf("digest %s must be lower-case hexadecimal", [quote(d)]) if {
	not regex.match(`^[0-9a-f]+$`, split_once(d, ":")[1])
} else := "the digest has the wrong number of hex characters" if {
	parts := split_once(d, ":")
	want := {"sha256": 64, "sha384": 96, "sha512": 128}[parts[0]]
	count(parts[1]) != want
} else := "digest must have at least 32 hex characters" if {
	parts := split_once(d, ":")
	not parts[0] in {"sha256", "sha384", "sha512"}
	count(parts[1]) < 32
}

path_error(path) := "repository path is empty" if {
	path == ""
} else := sprintf("repository path %s must be lower-case", [quote(path)]) if {
	regex.match(`[A-Z]`, path)
} else := sprintf("repository path %s has an invalid component", [quote(path)]) if {
	some comp in split(path, "/")
	not regex.match(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`, comp)
}

image_registry(img) := sprintf("%s:%d", [img.host, img.port]) if {
	img.port != null
} else := img.host

image_name(img) := concat("/", [image_registry(img), img.path])

image_full(img) := concat("", [image_name(img), tag_text(img.tag), digest_text(img.digest)])

tag_text(t) := "" if {
	t == null
} else := concat("", [":", t])

digest_text(d) := "" if {
	d == null
} else := concat("", ["@", d])

# ---------------------------------------------------------------------------------------------
# Registry hosts (src/acr.rs): which ACR endpoint, or which configured custom domain, a host is.

classify_host(host, port) := c if {
	some cd in list(params, "customDomains")
	custom_matches(cd.host, host, port)
	c := {
		"kind": "custom", "host": lower(trim_space(cd.host)), "instance": cd.instanceId,
		"region": get(cd, "region", null), "network": null,
	}
} else := c if {
	c := personal_new(lower(host))
} else := c if {
	c := enterprise_default(lower(host))
} else := c if {
	c := personal_legacy(lower(host))
} else := {"kind": "none", "network": null, "region": null}

custom_matches(configured, host, port) if {
	hp := host_port(trim_space(configured))
	lower(hp.host) == lower(host)
	same_port(hp.port, port)
}

same_port(a, b) if {
	a != null
	a == b
}

same_port(a, b) if {
	a in {null, 443}
	b in {null, 443}
}

personal_new(h) := {"kind": "personal-new", "instance": m[1], "region": m[3], "network": network_of(m[2])} if {
	endswith(h, ".personal.cr.aliyuncs.com")
	m := regex.find_all_string_submatch_n(`^(crpi-[a-z0-9]+)(-vpc)?\.([^.]+)\.personal\.cr\.aliyuncs\.com$`, h, 1)[0]
	is_region_grammar(m[3])
}

network_of("-vpc") := "vpc"

network_of("") := "public"

enterprise_default(h) := c if {
	endswith(h, ".cr.aliyuncs.com")
	rest := substring(h, 0, count(h) - count(".cr.aliyuncs.com"))
	i := max(indexof_n(rest, "."))
	region := substring(rest, i + 1, -1)
	is_region_grammar(region)
	left := substring(rest, 0, i)
	distributed := endswith(left, ".distributed")
	base := trim_suffix(left, ".distributed")
	not contains(base, ".")
	nn := ee_name_network(base)
	is_instance_name(nn.name)
	c := {"kind": "enterprise", "name": nn.name, "region": region, "network": nn.network, "distributed": distributed}
}

ee_name_network(base) := {"name": trim_suffix(base, "-registry-vpc"), "network": "vpc"} if {
	endswith(base, "-registry-vpc")
} else := {"name": trim_suffix(base, "-registry"), "network": "public"} if {
	endswith(base, "-registry")
}

is_instance_name(s) if regex.match(`^[a-z0-9]([a-z0-9-]{1,28})[a-z0-9]$`, s)

personal_legacy(h) := {"kind": "personal-legacy", "region": m[3], "network": legacy_network(m[2]), "intl": m[1]} if {
	endswith(h, ".aliyuncs.com")
	m := regex.find_all_string_submatch_n(`^registry(-intl)?(|-vpc|-internal)\.([^.]+)\.aliyuncs\.com$`, h, 1)[0]
	is_region_grammar(m[3])
}

legacy_network("") := "public"

legacy_network("-vpc") := "vpc"

legacy_network("-internal") := "classic"

is_acr(c) if c.kind != "none"

vpc_host(c) := sprintf("registry%s-vpc.%s.aliyuncs.com", [c.intl, c.region]) if c.kind == "personal-legacy"

describe_host(c) := sprintf("ACR Personal Edition shared domain (%s)", [c.region]) if {
	c.kind == "personal-legacy"
} else := sprintf("ACR Personal Edition instance domain (instance %s, %s)", [c.instance, c.region]) if {
	c.kind == "personal-new"
} else := sprintf("ACR Enterprise Edition default domain (instance name %s, %s)", [quote(c.name), c.region]) if {
	c.kind == "enterprise"
} else := sprintf("ACR Enterprise Edition custom domain %s (instance %s)", [quote(c.host), c.instance]) if {
	c.kind == "custom"
}

# The instance behind a registry, where the settings know it: {instance, account, custom}.
known_instance(c) := {"instance": c.instance, "account": instance_account(c.instance), "custom": true} if {
	c.kind == "custom"
} else := {"instance": id, "account": instance_account(id), "custom": false} if {
	c.kind == "enterprise"
	ids := [i.instanceId | some i in list(params, "instances"); i.name == c.name; i.region == c.region]
	count(ids) > 0
	id := ids[0]
}

known_or_null(c) := k if {
	k := known_instance(c)
} else := null

instance_account(id) := accounts[0] if {
	accounts := array.concat(
		[a | some d in list(params, "customDomains"); d.instanceId == id; a := get(d, "accountId", null); a != null],
		[a | some i in list(params, "instances"); i.instanceId == id; a := get(i, "accountId", null); a != null],
	)
	count(accounts) > 0
} else := null

# ---------------------------------------------------------------------------------------------
# The request (src/eval.rs, src/model.rs) and the workload view (src/workload.rs).

review := input.review

operation := get(review, "operation", "")

request_object := get(review, "object", null)

old_object := get(review, "oldObject", null)

request_kind := k if {
	k := get(get(review, "kind", {}), "kind", "")
	k != ""
} else := get(request_object, "kind", "")

request_group := get(get(review, "kind", {}), "group", "") if {
	get(get(review, "kind", {}), "kind", "") != ""
} else := api_group(get(request_object, "apiVersion", ""))

api_group(api_version) := substring(api_version, 0, max(indexof_n(api_version, "/"))) if {
	contains(api_version, "/")
} else := ""

api_version_of(api_version) := substring(api_version, max(indexof_n(api_version, "/")) + 1, -1) if {
	contains(api_version, "/")
} else := api_version

shape := "pod" if {
	request_group == ""
	request_kind == "Pod"
} else := "template" if {
	[request_group, request_kind] in {
		["apps", "Deployment"], ["apps", "StatefulSet"], ["apps", "DaemonSet"], ["apps", "ReplicaSet"],
		["extensions", "Deployment"], ["extensions", "DaemonSet"], ["extensions", "ReplicaSet"],
		["", "ReplicationController"], ["batch", "Job"],
	}
} else := "cronjob" if {
	[request_group, request_kind] == ["batch", "CronJob"]
} else := "imagecache" if {
	[request_group, request_kind] == ["eci.alibabacloud.com", "ImageCache"]
}

sub_resource_ignored if not get(review, "subResource", "") in {"", "ephemeralcontainers"}

namespace := ns if {
	ns := get(review, "namespace", "")
	ns != ""
} else := get(get(request_object, "metadata", {}), "namespace", "default")

# The pod template (or the object itself) and where it sits.
template := request_object if {
	shape in {"pod", "imagecache"}
} else := get(get(request_object, "spec", {}), "template", null) if {
	shape == "template"
} else := get(get(get(get(request_object, "spec", {}), "jobTemplate", {}), "spec", {}), "template", null) if {
	shape == "cronjob"
}

meta_path := "/metadata" if {
	shape in {"pod", "imagecache"}
} else := "/spec/template/metadata" if {
	shape == "template"
} else := "/spec/jobTemplate/spec/template/metadata"

meta_dots := trim_prefix(replace(concat("", [meta_path, "/annotations"]), "/", "."), ".")

spec_path := "/spec" if {
	shape in {"pod", "imagecache"}
} else := "/spec/template/spec" if {
	shape == "template"
} else := "/spec/jobTemplate/spec/template/spec"

meta := get(template, "metadata", {})

spec := get(template, "spec", {})

annotations := str_map(get(meta, "annotations", {}))

labels := str_map(get(meta, "labels", {}))

label_path(key) := sprintf("%s/labels/%s", [meta_path, escape(key)])

# Controller metadata ECI never reads: [{path, dots, annotations}].
ignored_meta := [] if {
	shape in {"pod", "imagecache"}
} else := [{"path": "/metadata", "dots": "metadata.annotations", "annotations": top}] if {
	shape == "template"
	top := str_map(get(get(request_object, "metadata", {}), "annotations", {}))
} else := [
	{"path": "/metadata", "dots": "metadata.annotations", "annotations": str_map(get(get(request_object, "metadata", {}), "annotations", {}))},
	{"path": "/spec/jobTemplate/metadata", "dots": "spec.jobTemplate.metadata.annotations", "annotations": job},
] if {
	job := str_map(get(get(get(get(request_object, "spec", {}), "jobTemplate", {}), "metadata", {}), "annotations", {}))
}

kind_word := request_kind

pod_word := "ImageCache" if {
	shape == "imagecache"
} else := "pod"

# Every image reference: [{who, path, raw}].
image_sites := [site |
	shape == "imagecache"
	some i, img in list(spec, "images")
	site := {"who": sprintf("ImageCache spec.images[%d]", [i]), "path": sprintf("/spec/images/%d", [i]), "raw": scalar_text(img)}
] if {
	shape == "imagecache"
} else := [site |
	some [field, label] in [["containers", "container"], ["initContainers", "init container"], ["ephemeralContainers", "ephemeral container"]]
	some i, c in list(spec, field)
	site := {"who": container_who(label, c, i), "path": sprintf("%s/%s/%d/image", [spec_path, field, i]), "raw": get(c, "image", "")}
]

container_who(label, c, i) := sprintf("%s %s", [label, quote(c.name)]) if {
	is_string(c.name)
	c.name != ""
} else := sprintf("%s #%d", [label, i])

scalar_text(v) := v if {
	is_string(v)
} else := json.marshal(v)

pull_secret_names := [name_of_secret(s) | some s in list(spec, "imagePullSecrets")]

name_of_secret(s) := s if {
	is_string(s)
} else := get(s, "name", "")

# ---------------------------------------------------------------------------------------------
# Scope (src/scope.rs): whether the pods may run on ECI, and whether the policy judges them.

routed_to_acs if labels[acs_label] == "true"

on_eci if params.eciScope.mode == "all"

on_eci if any_glob(list(get(params, "eciScope", {}), "namespaces"), namespace)

on_eci if eci_signal

on_eci if namespace_on_eci

eci_signal if shape == "imagecache"

eci_signal if {
	not routed_to_acs
	pod_eci_signal
}

pod_eci_signal if labels[eci_label] == "true"

pod_eci_signal if annotations["alibabacloud.com/burst-resource"] in {"eci", "eci_only"}

pod_eci_signal if {
	some k, v in str_map(get(spec, "nodeSelector", {}))
	virtual_kubelet_selector(k, v)
}

pod_eci_signal if startswith(get(spec, "nodeName", ""), "virtual-kubelet")

pod_eci_signal if {
	some t in list(spec, "tolerations")
	tolerates_virtual_node(t)
}

pod_eci_signal if {
	node_affinity := get(get(spec, "affinity", {}), "nodeAffinity", {})
	terms := array.concat(
		list(get(node_affinity, "requiredDuringSchedulingIgnoredDuringExecution", {}), "nodeSelectorTerms"),
		[get(p, "preference", {}) | some p in list(node_affinity, "preferredDuringSchedulingIgnoredDuringExecution")],
	)
	some term in terms
	some e in list(term, "matchExpressions")
	get(e, "operator", "") == "In"
	some v in list(e, "values")
	virtual_kubelet_selector(get(e, "key", ""), v)
}

virtual_kubelet_selector("type", "virtual-kubelet") := true

virtual_kubelet_selector("k8s.aliyun.com/vnode", "true") := true

tolerates_virtual_node(t) if {
	wanted := {"virtual-kubelet.io/provider": "alibabacloud", "k8s.aliyun.com/vnode": "true"}[get(t, "key", "")]
	toleration_value_matches(get(t, "operator", "Equal"), get(t, "value", null), wanted)
	get(t, "effect", "") in {"", "NoSchedule"}
}

toleration_value_matches("Exists", _, _) := true

toleration_value_matches("Equal", value, wanted) if value == wanted

# Context: a Namespace that Gatekeeper syncs into data.inventory, labelled for ECI.
namespace_on_eci if {
	shape != "imagecache"
	not routed_to_acs
	data.inventory.cluster.v1.Namespace[namespace].metadata.labels[eci_label] == "true"
}

namespace_known if data.inventory.cluster.v1.Namespace[namespace]

has_pull_keys(m) if {
	some k, _ in m
	k in acr_pull_keys
}

has_pull_keys(m) if {
	some k, _ in m
	near_miss(k) in acr_pull_keys
}

judged if on_eci

judged if has_pull_keys(annotations)

judged if {
	some m in ignored_meta
	has_pull_keys(m.annotations)
}

judged if {
	some k in acr_pull_keys
	labels[k]
}

# ---------------------------------------------------------------------------------------------
# Annotation keys (src/keys.rs): a near miss of a key ECI reads names the key it should be.

near_miss(key) := target if {
	not key in known_keys
	parts := key_parts(key)
	plausible_prefix(lower(parts[0]))
	name := regex.replace(lower(parts[1]), `[_ .]`, "-")
	candidates := {[d, t] | some t in near_miss_targets; d := key_distance(name, key_name(t))}
	count(candidates) > 0
	target := min(candidates)[1]
}

key_parts(key) := [substring(key, 0, i), substring(key, i + 1, -1)] if {
	contains(key, "/")
	i := max(indexof_n(key, "/"))
} else := ["", key]

key_name(target) := key_parts(target)[1]

plausible_prefix(prefix) if prefix in lookalike_prefixes

plausible_prefix(prefix) if edit_distance_2(prefix, "k8s.aliyun.com")

# Singular/plural slips count as one edit ("registries" for "registry").
key_distance(name, target) := 1 if {
	name in {concat("", [target, "s"]), trim_suffix(target, "s"), plural_y(target)}
} else := edit_distance_2(name, target)

plural_y(target) := concat("", [trim_suffix(target, "y"), "ies"]) if {
	endswith(target, "y")
} else := ""

# ---------------------------------------------------------------------------------------------
# Findings of a malformed request (`request-invalid`): what the core's decoder refuses.

invalid_findings contains finding("request-invalid", path, message, fix) if {
	some [path, message] in invalid_reasons
	fix := "send a well-formed admission request whose fields have the types Kubernetes gives them"
}

invalid_reasons contains [path, sprintf("the request has a field of the wrong type at %s: expected %s", [path, want])] if {
	some [path, want] in type_errors
}

invalid_reasons contains ["/operation", "the admission request has no operation"] if {
	count(type_errors) == 0
	operation == ""
}

invalid_reasons contains ["/operation", sprintf("the admission request has an unknown operation %s (expected CREATE, UPDATE, DELETE or CONNECT)", [quote(operation)])] if {
	count(type_errors) == 0
	not operation in {"", "CREATE", "UPDATE", "DELETE", "CONNECT"}
}

invalid_reasons contains ["", message] if {
	count(type_errors) == 0
	some message in kind_mismatch
}

invalid_reasons contains ["/kind", sprintf("the %s request names no kind (neither request.kind nor object.kind)", [operation])] if {
	count(type_errors) == 0
	count(kind_mismatch) == 0
	operation in {"CREATE", "UPDATE"}
	request_kind == ""
}

invalid_reasons contains ["/object", sprintf("the %s request for a %s carries no object", [operation, request_kind])] if {
	count(type_errors) == 0
	count(kind_mismatch) == 0
	operation in {"CREATE", "UPDATE"}
	shape
	not sub_resource_ignored
	request_object == null
}

# A request whose kind disagrees with its object's apiVersion and kind: the API server never
# sends one.
kind_mismatch contains msg if {
	k := get(review, "kind", {})
	get(k, "kind", "") != ""
	some field in ["object", "oldObject"]
	o := get(review, field, null)
	api_version := get(o, "apiVersion", "")
	object_kind := get(o, "kind", "")
	api_version != ""
	object_kind != ""
	not same_kind(k, api_version, object_kind)
	msg := sprintf("the request's kind (%s %s) does not match its %s (%s %s); the API server never sends that, so the request is refused", [
		trim_prefix(concat("/", [get(k, "group", ""), get(k, "version", "")]), "/"), get(k, "kind", ""), field, api_version, object_kind,
	])
}

same_kind(k, api_version, object_kind) if {
	get(k, "group", "") == api_group(api_version)
	get(k, "version", "") in {"", api_version_of(api_version)}
	get(k, "kind", "") == object_kind
}

# Fields the core reads, with the type it reads them as: [pointer, expected].
type_errors contains [path, want] if {
	some [field, want] in [["uid", "string"], ["subResource", "string"], ["name", "string"], ["namespace", "string"], ["operation", "string"], ["kind", "object"]]
	v := get(review, field, null)
	v != null
	not has_type(want, v)
	path := concat("", ["/", field])
}

type_errors contains [sprintf("/kind/%s", [field]), "string"] if {
	some field in ["group", "version", "kind"]
	v := get(get(review, "kind", {}), field, null)
	v != null
	not has_type("string", v)
}

# The object and oldObject are read as far as the rules need (src/model.rs): only the fields
# below have a type; anything else in them is skipped. A null field is absent; a null list item
# or map value is wrong ("present").
type_errors contains [base, "object"] if {
	some [base, o] in typed_objects
	o != null
	not is_object(o)
}

typed_objects := [["", request_object], ["/oldObject", old_object]]

# The object itself and the pod templates in it: [pointer, node].
typed_templates contains [concat("", [base, rel]), t] if {
	some [base, o] in typed_objects
	spec := get(o, "spec", {})
	job_template := get(spec, "jobTemplate", {})
	some [rel, t] in [
		["", o],
		["/spec/template", get(spec, "template", null)],
		["/spec/jobTemplate", job_template],
		["/spec/jobTemplate/spec/template", get(get(job_template, "spec", {}), "template", null)],
		["/spec/template/spec/template", get(get(get(spec, "template", {}), "spec", {}), "template", null)],
	]
	is_object(t)
}

# Typed nodes: [pointer, node, the fields read with their types, the items read of its lists
# and maps with their types].
typed_nodes contains [base, t, template_fields, {}] if some [base, t] in typed_templates

typed_nodes contains [path, m, meta_fields, meta_items] if {
	some [base, t] in typed_templates
	m := t.metadata
	is_object(m)
	path := concat("", [base, "/metadata"])
}

typed_nodes contains [path, s, spec_fields, spec_items] if {
	some [base, s] in typed_specs
	path := base
}

typed_nodes contains [path, item, fields, {}] if {
	some [base, s] in typed_specs
	some list_name, fields in spec_item_fields
	some i, item in list(s, list_name)
	is_object(item)
	path := sprintf("%s/%s/%d", [base, list_name, i])
}

typed_nodes contains [concat("", [base, "/affinity"]), a, {"nodeAffinity": "object"}, {}] if {
	some [base, s] in typed_specs
	a := s.affinity
	is_object(a)
}

typed_nodes contains [path, na, node_affinity_fields, {preferred_key: "object"}] if {
	some [path, na] in node_affinities
}

typed_nodes contains [path, r, {"nodeSelectorTerms": "array"}, {"nodeSelectorTerms": "object"}] if {
	some [base, na] in node_affinities
	r := na[required_key]
	is_object(r)
	path := sprintf("%s/%s", [base, required_key])
}

typed_nodes contains [path, p, {"preference": "object"}, {}] if {
	some [base, na] in node_affinities
	some i, p in list(na, preferred_key)
	is_object(p)
	path := sprintf("%s/%s/%d", [base, preferred_key, i])
}

typed_nodes contains [path, term, {"matchExpressions": "array"}, {"matchExpressions": "object"}] if {
	some [path, term] in node_selector_terms
}

typed_nodes contains [path, e, {"key": "string", "operator": "string", "values": "array"}, {"values": "string"}] if {
	some [base, term] in node_selector_terms
	some i, e in list(term, "matchExpressions")
	is_object(e)
	path := sprintf("%s/matchExpressions/%d", [base, i])
}

template_fields := {"apiVersion": "string", "kind": "string", "metadata": "object", "spec": "object"}

meta_fields := {"name": "string", "generateName": "string", "namespace": "string", "labels": "strmap", "annotations": "strmap"}

meta_items := {"labels": "string", "annotations": "string"}

spec_fields := {
	"containers": "array", "initContainers": "array", "ephemeralContainers": "array",
	"imagePullSecrets": "array", "tolerations": "array", "images": "array",
	"imageCacheSize": "scalar", "retentionDays": "scalar",
	"nodeSelector": "strmap", "nodeName": "string",
	"template": "object", "jobTemplate": "object", "affinity": "object",
}

spec_items := {
	"containers": "object", "initContainers": "object", "ephemeralContainers": "object",
	"tolerations": "object", "imagePullSecrets": "secretref", "images": "scalar",
	"nodeSelector": "string",
}

# The fields read of the items of a spec's lists.
spec_item_fields := {
	"containers": {"name": "string", "image": "string"},
	"initContainers": {"name": "string", "image": "string"},
	"ephemeralContainers": {"name": "string", "image": "string"},
	"tolerations": {"key": "string", "operator": "string", "value": "string", "effect": "string"},
	"imagePullSecrets": {"name": "string"},
}

required_key := "requiredDuringSchedulingIgnoredDuringExecution"

preferred_key := "preferredDuringSchedulingIgnoredDuringExecution"

node_affinity_fields := {required_key: "object", preferred_key: "array"}

typed_specs contains [concat("", [base, "/spec"]), s] if {
	some [base, t] in typed_templates
	s := t.spec
	is_object(s)
}

node_affinities contains [concat("", [base, "/affinity/nodeAffinity"]), na] if {
	some [base, s] in typed_specs
	na := s.affinity.nodeAffinity
	is_object(na)
}

node_selector_terms contains [path, term] if {
	some [base, na] in node_affinities
	some i, term in list(na[required_key], "nodeSelectorTerms")
	is_object(term)
	path := sprintf("%s/%s/nodeSelectorTerms/%d", [base, required_key, i])
}

node_selector_terms contains [path, term] if {
	some [base, na] in node_affinities
	some i, p in list(na, preferred_key)
	term := p.preference
	is_object(term)
	path := sprintf("%s/%s/%d/preference", [base, preferred_key, i])
}

type_errors contains [sprintf("%s/%s", [base, field]), want] if {
	some [base, node, fields, _] in typed_nodes
	some field, want in fields
	v := node[field]
	v != null
	not has_type(want, v)
}

# The items of a list or map that has its type.
type_errors contains [sprintf("%s/%s/%s", [base, field, escape(segment_text(k))]), wrong] if {
	some [base, node, fields, items] in typed_nodes
	some field, want in items
	has_type(fields[field], node[field])
	some k, v in node[field]
	wrong := item_error(want, v)
}

item_error(_, null) := "present"

item_error(want, v) := want if {
	v != null
	not has_type(want, v)
}

segment_text(e) := e if {
	is_string(e)
} else := format_int(e, 10)

has_type("string", v) if is_string(v)

has_type("object", v) if is_object(v)

has_type("strmap", v) if is_object(v)

has_type("array", v) if is_array(v)

has_type("scalar", v) if is_string(v)

has_type("scalar", v) if is_number(v)

has_type("scalar", v) if is_boolean(v)

has_type("secretref", v) if is_string(v)

has_type("secretref", v) if is_object(v)

# ---------------------------------------------------------------------------------------------
# Findings of a request the policy judges (src/eval.rs).

# ECI creates the instance from the pod as it is when the pod is bound: an update after that
# changes nothing, but what it adds still goes through the access gate.
judged_findings := set() if {
	not operation in {"CREATE", "UPDATE"}
} else := set() if {
	not shape
} else := set() if {
	sub_resource_ignored
} else := set() if {
	template == null
} else := (existing_pod_findings | gate_findings) | skip_findings if {
	bound_update
} else := set() if {
	not judged
} else := ((((placement_findings | value_findings) | image_findings) | access_findings) | imagecache_findings) | skip_findings

bound_update if {
	shape == "pod"
	operation == "UPDATE"
	some o in [request_object, old_object]
	get(get(o, "spec", {}), "nodeName", "") != ""
}

old_annotations := str_map(get(get(old_object, "metadata", {}), "annotations", {}))

# ---------------------------------------------------------------------------------------------
# The per-object opt-out (src/skip.rs): `secretfree.io/skip: rule-a,rule-b` on the metadata the
# policy judges (a Pod's or ImageCache's own, a controller's pod template) turns those rules off
# for the object, and every skip is reported (`rule-skipped`). Ids that name no rule, or a rule
# the object may not skip, are reported and skip nothing; on a controller's own metadata the
# annotation is not read, and that is reported too.

skip_value := annotations[skip_key]

# The ids as written, in order, without blanks.
skip_tokens := [t | some raw in split(skip_value, ","); t := trim_space(raw); t != ""]

# The first max_skip_ids of them, each once.
skip_read := array.slice(skip_tokens, 0, max_skip_ids)

skip_ids := [t | some i, t in skip_read; not t in array.slice(skip_read, 0, i)]

# Whether the settings let an object skip `rule`: allowSkip replaces the default (every rule
# but the access gate); request-invalid and rule-skipped never.
may_skip(rule) if {
	rule_table[rule]
	not rule in never_skippable
	allowed := get(params, "allowSkip", null)
	allowed == null
	not rule in skippable_only_if_allowed
}

may_skip(rule) if {
	rule_table[rule]
	not rule in never_skippable
	allowed := get(params, "allowSkip", null)
	is_array(allowed)
	rule in allowed
}

skipped_rules := {t | some t in skip_ids; may_skip(t)}

skip_path := ann_path(meta_path, skip_key)

# The skip report's entries in the core's order: [path, message, fix].
skip_entries := array.concat(
	array.concat(skip_bound_entries, skip_refused_entries),
	array.concat(skip_summary_entries, skip_ignored_entries),
)

skip_bound_entries := [[skip_path, msg, fix] |
	count(skip_tokens) > max_skip_ids
	msg := sprintf("%s lists more than %d ids; the rest are not read", [skip_key, max_skip_ids])
	fix := sprintf("list each rule id once in %s", [skip_key])
]

skip_refused_entries := [[skip_path, msg, fix] |
	some t in skip_ids
	not may_skip(t)
	[msg, fix] := skip_refusal(t)
]

skip_refusal(t) := [msg, fix] if {
	not rule_table[t]
	msg := sprintf("%s names %s, which is no rule id%s, so it skips nothing", [skip_key, quote(t), rule_hint(t)])
	fix := sprintf("write rule ids as `secretfree rules` lists them, comma-separated, in %s", [meta_dots])
} else := [msg, fix] if {
	why := skip_refusal_reason
	msg := sprintf("%s asks to skip %s, which objects may not skip (%s), so the rule still applies", [skip_key, t, why])
	fix := sprintf("remove %s from %s, or ask the policy's owner to list it in allowSkip", [t, skip_key])
}

skip_refusal_reason := "the settings' allowSkip does not list it" if {
	get(params, "allowSkip", null) != null
} else := "only the settings' allowSkip can open the access gate to skips"

# The rule id one edit away, as a hint.
rule_hint(t) := sprintf(" (did you mean %s?)", [r]) if {
	close := sort([id | some id, _ in rule_table; within_one(t, id)])
	count(close) > 0
	r := close[0]
} else := ""

skip_summary_entries := [[skip_path, msg, fix] |
	count(skipped_rules) > 0
	names := sort([r | some r in skipped_rules])
	msg := sprintf("%s turns off %s for this %s", [skip_key, concat(", ", names), kind_word])
	fix := sprintf("fix what the rule%s would report and remove %s from %s", [plural_s(count(names)), skip_key, meta_dots])
]

plural_s(1) := ""

plural_s(n) := "s" if n != 1

# A controller's own metadata does not reach its pods: a skip there is not read.
skip_ignored_entries := [[ann_path(m.path, skip_key), msg, fix] |
	some m in ignored_meta
	value := m.annotations[skip_key]
	not skip_value == value
	msg := sprintf("%s on %s has no effect: the policy reads it where the pods get it, %s", [skip_key, m.dots, meta_dots])
	fix := sprintf("move %s to %s", [skip_key, meta_dots])
]

# Listed up to max_per_rule, then one summary (src/checks/mod.rs), as the core's report does.
skip_findings contains finding("rule-skipped", e[0], e[1], e[2]) if {
	some i, e in skip_entries
	i < max_per_rule
}

skip_findings contains finding("rule-skipped", "", msg, "fix the findings listed, then check the object again") if {
	n := count(skip_entries) - max_per_rule
	n > 0
	msg := sprintf("%d more rule-skipped findings are not listed (a verdict lists at most %d per rule)", [n, max_per_rule])
}

# ---------------------------------------------------------------------------------------------
# Placement and keys (src/checks/placement.rs).

existing_pod_findings contains finding("annotation-on-existing-pod", ann_path("/metadata", key), message, fix) if {
	old_object != null
	some key in acr_pull_keys
	verb := change_verb(old_annotations, annotations, key)
	message := sprintf("this update %s %s on an existing pod, but ECI reads it only when the pod is created, so the running pod keeps pulling as before", [verb, key])
	fix := "set the annotation in the pod's controller template (spec.template.metadata.annotations) or delete and recreate the pod"
}

change_verb(before, after, key) := "adds" if {
	not has(before, key)
	has(after, key)
} else := "removes" if {
	has(before, key)
	not has(after, key)
} else := "changes" if {
	before[key] != after[key]
}

placement_findings contains f if {
	some m in ignored_meta
	some key in acr_pull_keys
	value := m.annotations[key]
	path := ann_path(m.path, key)
	f := misplaced_finding(m, key, value, path)
}

misplaced_finding(m, key, value, path) := finding("annotation-duplicated", path, message, fix) if {
	annotations[key] == value
	message := sprintf("%s is set on the %s's %s with the same value as in the pod template; ECI reads only the pod template's copy, so this one has no effect", [key, kind_word, m.dots])
	fix := sprintf("nothing to fix for the pods; remove it from %s if you want a single copy (kustomize commonAnnotations and Helm charts often put it there)", [m.dots])
} else := finding("annotation-misplaced", path, message, fix) if {
	has(annotations, key)
	message := sprintf("%s is set on the %s's %s, where ECI never reads it, and the pod template has a different value (%s instead of %s)", [key, kind_word, m.dots, quote(annotations[key]), quote(value)])
	fix := sprintf("decide which value is right, keep it in %s and remove the other", [meta_dots])
} else := finding("annotation-misplaced", path, message, fix) if {
	message := sprintf("%s is set on the %s's %s, where ECI never reads it: the pods it creates get no %s", [key, kind_word, m.dots, key])
	fix := sprintf("move %s: %s to %s", [key, quote(value), meta_dots])
}

placement_findings contains finding("annotation-misplaced", label_path(key), message, fix) if {
	some key in acr_pull_keys
	value := labels[key]
	labels_dots := replace(meta_dots, "annotations", "labels")
	message := sprintf("%s is set as a label in %s, but ECI reads it only from annotations", [key, labels_dots])
	fix := sprintf("move %s: %s from %s to %s", [key, quote(value), labels_dots, meta_dots])
}

placement_findings contains finding("annotation-key-unknown", ann_path(site.path, key), message, fix) if {
	some site in array.concat([{"path": meta_path, "annotations": annotations}], ignored_meta)
	some key, _ in site.annotations
	want := near_miss(key)
	message := sprintf("annotation %s is not a key the ECI documentation lists, so ECI is not known to read it; did you mean %s?", [quote(key), quote(want)])
	fix := sprintf("rename the annotation to %s", [want])
}

placement_findings contains finding("annotation-key-legacy", ann_path(meta_path, legacy_key), message, fix) if {
	value := annotations[legacy_key]
	base := sprintf("%s is the singular key from older ECI docs (the current documentation uses %s and does not say whether the singular key is still read)", [legacy_key, instance_ids_key])
	message := legacy_message(base, value)
	fix := sprintf("rename %s to %s (or remove it and keep the ids in %s)", [legacy_key, instance_ids_key, instance_ids_key])
}

legacy_message(base, value) := sprintf("%s, and both are set with different values (%s and %s)", [base, quote(value), quote(annotations[instance_ids_key])]) if {
	has(annotations, instance_ids_key)
	annotations[instance_ids_key] != value
} else := base

placement_findings contains finding("annotations-off-eci", concat("", [meta_path, "/annotations"]), message, fix) if {
	not on_eci
	present := [k | some k in acr_pull_keys; has(annotations, k)]
	count(present) > 0
	message := sprintf("the %s carries %s but the policy sees no ECI signal in the pod (no alibabacloud.com/eci label, virtual-kubelet nodeSelector, affinity, toleration or nodeName); pods on ordinary nodes ignore these annotations, and %s", [kind_word, concat(", ", present), off_eci_context])
	fix := "if a namespace label or eci-profile sends these pods to ECI, list the namespace in the policy's eciScope.namespaces (or let Gatekeeper sync Namespaces); otherwise schedule the pods onto ECI (label alibabacloud.com/eci: \"true\" or nodeSelector type: virtual-kubelet) or drop the annotations"
}

off_eci_context := sprintf("namespace %s is not labelled alibabacloud.com/eci: \"true\", and an eci-profile selector, which the policy cannot see, may still send the pods to ECI", [quote(namespace)]) if {
	namespace_known
} else := "a namespace label or eci-profile selector, which the policy cannot see, may still send the pods to ECI"

# ---------------------------------------------------------------------------------------------
# Values (src/checks/values.rs): the instance-id list, role ARNs, registry lists, cache ids.

# The instance-id key in use: the plural, else the legacy singular.
ids_key := instance_ids_key if {
	has(annotations, instance_ids_key)
} else := legacy_key if {
	has(annotations, legacy_key)
}

ids_value := annotations[ids_key]

ids_path := ann_path(meta_path, ids_key)

ids_placeholder if is_placeholder(ids_value)

listed := listed_ids(ids_value) if {
	ids_key
} else := set()

fix_real_id := sprintf("replace it with your real instance id (ACR console, instance details: cri-...) in %s", [meta_dots])

fix_id_format := sprintf("write %s as comma-separated instance ids as the ACR console shows them (cri-...), with a <region>: prefix, region first, for instances in another region (e.g. \"cn-beijing:cri-j36zhodptmyq1234\")", [ids_key])

value_findings contains finding("placeholder-value", ids_path, message, fix_real_id) if {
	ids_placeholder
	message := sprintf("%s value %s is %s", [ids_key, quote(ids_value), placeholder_text(ids_value)])
}

value_findings contains finding("instance-id-invalid", ids_path, sprintf("%s is empty", [ids_key]), fix) if {
	not ids_placeholder
	trim_space(ids_value) == ""
	fix := sprintf("list the instance ids in %s, or remove the annotation", [ids_key])
}

value_findings contains soft_finding("instance-id-invalid", ids_path, message, fix_id_format) if {
	not ids_placeholder
	instance_list_bad_separator(ids_value)
	message := sprintf("%s value %s separates ids with something other than a comma; the documentation shows comma-separated ids and does not say whether ECI accepts another separator", [ids_key, quote(ids_value)])
}

value_findings contains f if {
	some token in instance_tokens(ids_value)
	not excluded_by_placeholder(token)
	f := token_finding(token)
}

excluded_by_placeholder(token) if {
	ids_placeholder
	not token.ok
}

token_finding(t) := finding("instance-region-unknown", ids_path, message, fix) if {
	t.ok
	t.region != null
	not is_known_region(t.region)
	message := sprintf("%s names region %s for %s, which is not in the policy's list of Alibaba Cloud regions%s", [ids_key, quote(t.region), t.id, region_hint(t.region)])
	fix := region_fix(t)
} else := finding("instance-id-invalid", ids_path, message, fix_id_format) if {
	t.problem == "empty"
	message := sprintf("%s value %s has an empty entry (stray comma)", [ids_key, quote(ids_value)])
} else := finding("placeholder-value", ids_path, message, fix_real_id) if {
	t.problem == "placeholder"
	message := sprintf("%s contains %s, %s", [ids_key, quote(t.raw), placeholder_text(t.raw)])
} else := finding("instance-id-invalid", ids_path, message, fix_id_format) if {
	t.problem == "region"
	message := sprintf("%s entry %s has region prefix %s, which is not a region id", [ids_key, quote(t.raw), quote(t.region)])
} else := finding("instance-id-invalid", ids_path, message, fix_id_format) if {
	t.problem == "reversed"
	message := sprintf("%s entry %s puts the instance id first; the region goes first: %s", [ids_key, quote(t.raw), quote(t.fixed)])
} else := soft_finding("instance-id-invalid", ids_path, message, fix) if {
	t.problem == "id"
	cri_id_odd_length(t.id)
	message := sprintf("%s entry %s has %d characters after cri-; every instance id in the documentation has 16, and the documentation does not state the length", [ids_key, quote(t.raw), count(t.id) - 4])
	fix := "compare the id with the one the ACR console shows (instance details)"
} else := finding("instance-id-invalid", ids_path, message, fix_id_format) if {
	t.problem == "id"
	message := sprintf("%s entry %s is not an ACR Enterprise Edition instance id%s", [ids_key, quote(t.raw), id_hint(t.id)])
}

region_hint(region) := sprintf(" (did you mean %s?)", [closest_region(region)]) if {
	closest_region(region)
} else := ""

region_fix(t) := sprintf("write it as %s:%s if %s is the instance's region", [g, t.id, g]) if {
	g := closest_region(t.region)
} else := "check the instance's region id in the ACR console (instance details); a region newer than the policy's list can be accepted with rules: {instance-region-unknown: \"off\"}"

id_hint(id) := " (crpi- ids are Personal Edition instances, which need no acr-instance-ids)" if {
	startswith(id, "crpi-")
} else := " (instance ids are lower-case)" if {
	lower(id) != id
	is_cri_id(lower(id))
} else := ""

value_findings contains finding("instance-id-invalid", ids_path, message, fix) if {
	instance_list_too_long(ids_value)
	message := sprintf("%s has more than %d entries; the policy reads at most %d", [ids_key, max_list_entries, max_list_entries])
	fix := sprintf("list only the instances the pod pulls from in %s", [ids_key])
}

value_findings contains soft_finding("instance-id-invalid", ids_path, message, fix) if {
	not ids_placeholder
	some dup in duplicate_ids(ids_value)
	message := sprintf("%s lists %s more than once; the documentation does not say what ECI does with a repeated id", [ids_key, dup])
	fix := sprintf("list each instance once in %s", [ids_key])
}

# Role ARNs.
role_fix(key) := sprintf("set %s to one role ARN, acs:ram::<16-digit account id>:role/<role name>", [key])

role_items(value) := array.slice(split_arns(value), 0, max_list_entries) if {
	arn_problem(value) == "multiple"
} else := [value]

# The ARNs of a role key that parse.
role_arns(key) := [arn_of(item) | some item in role_items(annotations[key]); arn_problem(item) == "ok"]

value_findings contains soft_finding("role-arn-invalid", ann_path(meta_path, key), message, fix) if {
	some key in [service_arns_key, user_arns_key]
	arn_problem(annotations[key]) == "multiple"
	message := sprintf("%s lists %d ARNs; the documentation shows one ARN per key and does not say whether ECI reads more than one", [key, count(split_arns(annotations[key]))])
	fix := sprintf("unless you have confirmed that ECI uses every ARN listed, set %s to the one role ARN the pull needs", [key])
}

value_findings contains f if {
	some key in [service_arns_key, user_arns_key]
	some item in role_items(annotations[key])
	f := arn_finding(key, item)
}

arn_finding(key, item) := soft_finding("role-arn-invalid", ann_path(meta_path, key), message, fix) if {
	arn_problem(item) == "ok"
	role := arn_of(item).role
	contains(role, "_")
	message := sprintf("%s role name %s contains '_', which RAM's CreateRole API does not accept (only letters, digits, '.' and '-')", [key, quote(role)])
	fix := "check that the role really exists under this name in the RAM console"
} else := finding("role-arn-invalid", ann_path(meta_path, key), sprintf("%s is empty", [key]), role_fix(key)) if {
	arn_problem(item) == "empty"
} else := finding("placeholder-value", ann_path(meta_path, key), message, fix) if {
	arn_problem(item) == "placeholder"
	message := sprintf("%s value %s is %s", [key, quote(item), placeholder_text(item)])
	fix := sprintf("replace it with the real role ARN (RAM console, role details) in %s", [meta_dots])
} else := finding("role-arn-invalid", ann_path(meta_path, key), message, role_fix(key)) if {
	arn_problem(item) == "malformed"
	message := sprintf("%s value %s is not a RAM role ARN: %s", [key, quote(item), arn_reason(trim_space(item))])
}

value_findings contains finding("user-arn-without-service-arn", ann_path(meta_path, user_arns_key), message, fix) if {
	has(annotations, user_arns_key)
	not has(annotations, service_arns_key)
	message := sprintf("%s is set but %s is missing: a cross-account pull needs the role in the ECI account (%s) that assumes the role in the registry's account (%s)", [user_arns_key, service_arns_key, service_arns_key, user_arns_key])
	fix := sprintf("add %s: \"acs:ram::<ECI account id>:role/<role name>\" to %s", [service_arns_key, meta_dots])
}

value_findings contains finding("cross-account-same-account", ann_path(meta_path, user_arns_key), message, fix) if {
	service := role_arns(service_arns_key)
	user := role_arns(user_arns_key)
	count(service) > 0
	count(user) > 0
	accounts := {a.account | some a in array.concat(service, user)}
	count(accounts) == 1
	message := sprintf("%s and %s are both in account %s; the user role is only for pulling from another account's registry", [service_arns_key, user_arns_key, service[0].account])
	fix := sprintf("for a same-account pull drop %s; for a cross-account pull use the role in the registry owner's account", [user_arns_key])
}

value_findings contains finding("service-arn-wrong-account", ann_path(meta_path, service_arns_key), message, fix) if {
	eci := params.accountId
	is_string(eci)
	wrong := [a | some a in role_arns(service_arns_key); a.account != eci]
	count(wrong) > 0
	message := sprintf("%s names a role in account %s, but ECI runs in account %s and can only assume roles of its own account", [service_arns_key, wrong[0].account, eci])
	fix := sprintf("use a role of account %s in %s; put the registry account's role in %s", [eci, service_arns_key, user_arns_key])
}

# Registry lists.
value_findings contains finding("placeholder-value", ann_path(meta_path, key), message, fix) if {
	some key in [plain_http_registry_key, insecure_registry_key, imc_id_key, image_snapshot_id_key]
	value := annotations[key]
	is_placeholder(value)
	not imc_key_on_imagecache(key)
	message := sprintf("%s value %s is %s", [key, quote(value), placeholder_text(value)])
	fix := sprintf("replace it with a real value in %s", [key])
}

imc_key_on_imagecache(key) if {
	shape == "imagecache"
	key in {imc_id_key, image_snapshot_id_key}
}

registry_list(key) := annotations[key] if not is_placeholder(annotations[key])

# [raw item, reason] problems and {host, port} entries of a registry list.
registry_problems(value) := [["", "empty value"]] if {
	trim_space(value) == ""
} else := [p | some raw in split(value, ","); some p in registry_item_problems(trim_space(raw))]

registry_item_problems(item) := [["", "empty item"]] if {
	item == ""
} else := [[item, "separate registries with ',', not ';', '|' or whitespace"]] if {
	regex.match(`[;|\t\n\v\f\r ]`, item)
} else := [[item, reason]] if {
	reason := registry_item_error(item)
} else := []

registry_entries(value) := [e |
	some raw in split(value, ",")
	some piece in regex.split(`[;|\t\n\v\f\r ]`, trim_space(raw))
	piece != ""
	not registry_item_error(piece)
	hp := host_port(piece)
	e := {"host": lower(hp.host), "port": hp.port}
]

registry_item_error(item) := sprintf("drop the scheme %s", [quote(concat("", [split_once(item, "://")[0], "://"]))]) if {
	contains(item, "://")
} else := sprintf("remove the path %s; list only host[:port]", [quote(concat("", ["/", split_once(item, "/")[1]]))]) if {
	contains(item, "/")
} else := "looks like a placeholder" if {
	is_placeholder(item)
} else := "invalid host or port (must be host[:port], port 1-65535)" if {
	not host_port(item)
} else := "invalid host name" if {
	not is_rfc1123(host_port(item))
}

value_findings contains finding("registry-list-invalid", ann_path(meta_path, key), message, fix) if {
	some key in [plain_http_registry_key, insecure_registry_key]
	some [item, reason] in registry_problems(registry_list(key))
	message := sprintf("%s entry %s is not host[:port]: %s", [key, quote(item), reason])
	fix := sprintf("write %s as comma-separated host[:port] entries, e.g. \"harbor.example.com:5000,10.0.0.8\"", [key])
}

value_findings contains finding("acr-host-insecure-listed", ann_path(meta_path, key), message, fix) if {
	some key in [plain_http_registry_key, insecure_registry_key]
	some e in registry_entries(registry_list(key))
	c := classify_host(e.host, e.port)
	is_acr(c)
	registry := image_registry(e)
	message := sprintf("%s lists %s, an %s; ACR serves valid TLS and listing it weakens every pull from it", [key, registry, describe_host(c)])
	fix := sprintf("remove %s from %s", [registry, key])
}

# Image cache ids.
value_findings contains finding("imc-id-invalid", ann_path(meta_path, key), message, fix) if {
	shape != "imagecache"
	some key in [imc_id_key, image_snapshot_id_key]
	value := annotations[key]
	not is_placeholder(value)
	not regex.match(`^imc-[a-z0-9]+$`, value)
	message := sprintf("%s value %s is not an image cache id (imc- followed by lower-case letters and digits); a pod pinned to a missing cache fails to start", [key, quote(value)])
	fix := sprintf("put the status.imageCacheId of a Ready ImageCache (imc-...) in %s, or remove it to let ECI match a cache automatically", [key])
}

# ---------------------------------------------------------------------------------------------
# Images (src/checks/images.rs).

invalid_image_rule := "imagecache-images-invalid" if {
	shape == "imagecache"
} else := "image-invalid"

image_findings contains finding(invalid_image_rule, site.path, sprintf("%s has no image", [site.who]), fix) if {
	some site in image_sites
	site.raw == ""
	fix := "set the image, e.g. registry.cn-hangzhou.aliyuncs.com/<namespace>/<repo>:<tag>"
}

image_findings contains finding("placeholder-value", site.path, message, fix) if {
	some site in image_sites
	site.raw != ""
	is_placeholder(site.raw)
	message := sprintf("%s image %s is %s", [site.who, quote(site.raw), placeholder_text(site.raw)])
	fix := "replace it with the real image address (ACR console, repository details)"
}

image_findings contains finding(invalid_image_rule, site.path, message, fix) if {
	some site in image_sites
	site.raw != ""
	not is_placeholder(site.raw)
	img := parse_image(site.raw)
	not img.ok
	message := sprintf("%s image %s is not a valid image reference: %s", [site.who, quote(site.raw), img.reason])
	fix := "write the image as [registry/]namespace/repository[:tag][@digest], with a lower-case repository path"
}

# The images that parse, with their registry class and the instance behind it.
pulled := [p |
	some site in image_sites
	site.raw != ""
	not is_placeholder(site.raw)
	img := parse_image(site.raw)
	img.ok
	c := classify_host(img.host, img.port)
	p := {"site": site, "image": img, "host": c, "known": known_or_null(c)}
]

anonymous(p) if {
	some pattern in list(params, "anonymousImages")
	some text in [p.site.raw, image_name(p.image), image_full(p.image)]
	glob_match(trim_space(pattern), text)
}

has_pull_secrets if count(pull_secret_names) > 0

image_findings contains finding("external-image-without-secret", p.site.path, message, fix) if {
	some p in pulled
	p.host.kind == "none"
	not has_pull_secrets
	not anonymous(p)
	registry := image_registry(p.image)
	message := sprintf("%s pulls %s from %s, which is neither an ACR endpoint nor a custom domain in the policy's customDomains, and the %s has no imagePullSecrets: ECI's secret-free pull cannot authenticate there", [p.site.who, p.site.raw, registry, pod_word])
	fix := sprintf("add imagePullSecrets for %s, or, if the image is public, list it in the policy's anonymousImages (if it is the custom domain of a listed instance, add it to customDomains)", [registry])
}

image_findings contains finding("classic-network-endpoint", p.site.path, message, fix) if {
	on_eci
	some p in pulled
	p.host.kind == "personal-legacy"
	p.host.network == "classic"
	message := sprintf("%s pulls %s through %s, the classic network endpoint of ACR Personal Edition; ECI runs in a VPC, and a VPC does not reach the classic network endpoint", [p.site.who, p.site.raw, p.image.host])
	fix := sprintf("use the VPC endpoint %s instead, or the public endpoint with Internet egress", [vpc_host(p.host)])
}

image_findings contains finding("personal-public-endpoint", p.site.path, message, fix) if {
	some p in pulled
	p.host.kind == "personal-new"
	p.host.network == "public"
	message := sprintf("%s pulls %s through the public endpoint of a new Personal Edition instance (%s), which cannot be used to pull images", [p.site.who, p.site.raw, p.image.host])
	fix := sprintf("use the instance's VPC endpoint (%s-vpc.%s.personal.cr.aliyuncs.com) instead", [p.host.instance, p.host.region])
}

image_findings contains finding("vpc-endpoint-other-region", p.site.path, message, fix) if {
	cluster := params.clusterRegion
	is_string(cluster)
	some p in pulled
	p.host.network == "vpc"
	p.host.region != cluster
	message := sprintf("%s pulls %s through a VPC endpoint in %s, but the cluster runs in %s; VPC endpoints resolve only inside VPCs of their own region", [p.site.who, p.site.raw, p.host.region, cluster])
	fix := sprintf("use the registry's endpoint for %s, its public endpoint (with Internet egress), or connect the VPCs (CEN) and its DNS", [cluster])
}

# Region prefixes of listed instances whose region the settings know.
image_findings contains finding("instance-region-prefix-missing", ids_path, problem, fix) if {
	cluster := params.clusterRegion
	is_string(cluster)
	some t in instance_tokens(ids_value)
	t.ok
	regions := [r | some d in list(params, "customDomains"); d.instanceId == t.id; r := get(d, "region", null)]
	count(regions) > 0
	region := regions[0]
	region != null
	problem := prefix_problem(t, region, cluster)
	fix := sprintf("write it as %s in %s", [quote(written(region, cluster, t.id)), ids_key])
}

prefix_problem(t, region, cluster) := sprintf("%s lists %s without a region prefix, but that instance is in %s and the cluster in %s; the documentation requires the <region>: prefix for an instance in another region than the pod", [ids_key, t.id, region, cluster]) if {
	t.region == null
	region != cluster
} else := sprintf("%s lists %s:%s but that instance is in %s", [ids_key, t.region, t.id, region]) if {
	t.region != null
	region != cluster
	t.region != region
} else := sprintf("%s lists %s:%s but that instance is in %s, the cluster's region", [ids_key, t.region, t.id, cluster]) if {
	t.region != null
	region == cluster
	t.region != cluster
}

written(region, cluster, id) := sprintf("%s:%s", [region, id]) if {
	region != null
	cluster != null
	region != cluster
} else := id

# Images on configured custom domains need their instance listed.
image_findings contains finding("custom-domain-missing-instance", concat("", [meta_path, "/annotations"]), message, fix) if {
	some p in pulled
	p.host.kind == "custom"
	id := p.host.instance
	not id in listed
	not ids_placeholder
	not id in misplaced_ids
	allows_instance(id)
	text := written(get(p.host, "region", null), get(params, "clusterRegion", null), id)
	message := sprintf("%s pulls %s from custom domain %s (ACR instance %s) but %s does not list %s, so ECI cannot pull it secret-free%s", [p.site.who, p.site.raw, image_registry(p.image), id, instance_ids_key, id, cross_account_note])
	fix := missing_instance_fix(text)
}

cross_account_note := "; a cross-account pull through a custom domain needs all three annotations" if {
	has(annotations, user_arns_key)
} else := ""

missing_instance_fix(text) := sprintf("add %s to %s (now %s) in %s", [quote(text), ids_key, quote(ids_value), meta_dots]) if {
	ids_key
} else := sprintf("add %s: %s to %s", [instance_ids_key, quote(text), meta_dots])

# Instances listed only where ECI never reads them: annotation-misplaced's finding alone.
misplaced_ids := ids if {
	rule_on("annotation-misplaced")
	maps := array.concat([m.annotations | some m in ignored_meta], [labels])
	ids := {id | some m in maps; some key in [instance_ids_key, legacy_key]; id := listed_ids(m[key])[_]}
} else := set()

# Pull secrets that secret-free pulling makes redundant.
image_findings contains finding("pull-secret-redundant", concat("", [spec_path, "/imagePullSecrets"]), message, fix) if {
	secrets := [s | some s in pull_secret_names; not startswith(s, "acr-credential-")]
	count(secrets) > 0
	count(pulled) > 0
	count(pulled) == count(image_sites)
	every p in pulled {
		secret_free(p)
	}
	message := sprintf("every image of the %s can be pulled secret-free (ACR through ECI's RAM role, or anonymous), yet imagePullSecrets lists %s; stored registry passwords are what secret-free pulling avoids", [kind_word, concat(", ", secrets)])
	fix := "remove imagePullSecrets (and the Secret, if nothing else uses it)"
}

secret_free(p) if {
	cross_account_ready(p)
	registry_secret_free(p)
}

cross_account_ready(_) if {
	has(annotations, service_arns_key)
	has(annotations, user_arns_key)
}

cross_account_ready(p) if not other_account(p)

other_account(p) if {
	owner := p.known.account
	is_string(owner)
	eci := params.accountId
	is_string(eci)
	owner != eci
}

registry_secret_free(p) if {
	p.host.kind == "personal-legacy"
	p.host.network != "classic"
}

registry_secret_free(p) if p.host.kind == "enterprise"

registry_secret_free(p) if {
	p.host.kind == "custom"
	p.host.instance in listed
}

registry_secret_free(p) if {
	p.host.kind == "none"
	anonymous(p)
}

# Images from registries of another account need the cross-account pair.
image_findings contains finding("cross-account-without-roles", p.site.path, message, fix) if {
	eci := params.accountId
	is_string(eci)
	some p in pulled
	owner := p.known.account
	is_string(owner)
	owner != eci
	id := p.known.instance
	allows_instance(id)
	message := cross_account_message(p, owner, eci, id)
	fix := sprintf("add %s (a role of account %s that may pull from %s) with %s (a role of account %s) to %s", [user_arns_key, owner, id, service_arns_key, eci, meta_dots])
}

user_accounts := [a.account | some item in array.slice(split_arns(annotations[user_arns_key]), 0, max_list_entries); arn_problem(item) == "ok"; a := arn_of(item)] if {
	has(annotations, user_arns_key)
} else := []

cross_account_message(p, owner, eci, id) := sprintf("%s pulls %s from %s (ACR instance %s), which belongs to account %s per the policy's settings, while ECI runs in account %s; a pull from another account's registry needs %s and %s, and the %s has %s", [p.site.who, p.site.raw, image_registry(p.image), id, owner, eci, service_arns_key, user_arns_key, pod_word, lacking]) if {
	not has(annotations, user_arns_key)
	lacking := {true: sprintf("no %s", [user_arns_key]), false: "neither"}[has_service_arns]
} else := sprintf("%s pulls %s from %s (ACR instance %s), which belongs to account %s per the policy's settings, but %s names a role in account %s; the user role must be in the registry owner's account", [p.site.who, p.site.raw, image_registry(p.image), id, owner, user_arns_key, concat(", ", user_accounts)]) if {
	has_service_arns
	count(user_accounts) > 0
	not owner in user_accounts
}

has_service_arns := true if {
	has(annotations, service_arns_key)
} else := false

# ---------------------------------------------------------------------------------------------
# The access gate (src/checks/access.rs): whether the namespace may use a role or an instance.

access_namespace := "*" if {
	shape == "imagecache"
} else := namespace

access_on if is_array(params.access)

# The first entry whose namespaces match (undefined when none does: nothing is allowed).
access_entry := entries[0] if {
	entries := [e | some e in params.access; any_glob(list(e, "namespaces"), access_namespace)]
	count(entries) > 0
}

allows_instance(_) if not access_on

allows_instance(id) if instance_allowed(id)

instance_allowed(id) if {
	is_cri_id(id)
	any_glob(list(access_entry, "instanceIds"), id)
}

access_subject := "cluster-scoped ImageCache objects (access entry \"*\")" if {
	shape == "imagecache"
} else := sprintf("namespace %s", [quote(namespace)])

access_detail(field) := sprintf("allowed: %s", [concat(", ", allowed)]) if {
	allowed := list(access_entry, field)
	count(allowed) > 0
} else := "its access entry allows none" if {
	access_entry
} else := "no access entry matches, so it may use none"

gate_sites := [{"path": meta_path, "map": annotations, "labels": false}] if {
	bound_update
} else := array.concat(
	array.concat([{"path": meta_path, "map": annotations, "labels": false}], [{"path": m.path, "map": m.annotations, "labels": false} | some m in ignored_meta]),
	[{"path": meta_path, "map": labels, "labels": true}],
)

gate_path(site, key) := label_path(key) if {
	site.labels
} else := ann_path(site.path, key)

# What a site names for key, unless the update leaves it as it was or it repeats the template's
# copy (annotation-duplicated: judged once, where ECI reads it).
gate_value(site, key) := value if {
	value := site.map[key]
	not unchanged(key, value)
	not duplicate_copy(site, key, value)
}

unchanged(key, value) if {
	bound_update
	old_annotations[key] == value
}

duplicate_copy(site, key, value) if {
	not site.labels
	site.path != meta_path
	annotations[key] == value
}

access_findings := gate_findings | image_gate_findings

gate_findings contains finding("ram-role-not-allowed", ann_path(meta_path, ram_role_name_key), message, fix) if {
	access_on
	name := annotations[ram_role_name_key]
	not unchanged(ram_role_name_key, name)
	ram_role_checked
	not ram_role_allowed(name)
	message := sprintf("%s gives the ECI instance the RAM role %s, which %s may not use (%s)", [ram_role_name_key, quote(name), access_subject, access_detail("ramRoleNames")])
	fix := "use a RAM role allowed for this namespace (access[].ramRoleNames), or ask the platform team to allow it"
}

ram_role_checked if not access_entry

ram_role_checked if is_array(access_entry.ramRoleNames)

ram_role_allowed(name) if {
	is_role_name(name)
	any_glob(access_entry.ramRoleNames, name)
}

role_list_field := {service_arns_key: "serviceRoleArns", user_arns_key: "userRoleArns"}

gate_findings contains finding("role-not-allowed", gate_path(site, key), message, fix) if {
	access_on
	some site in gate_sites
	some key in [service_arns_key, user_arns_key]
	value := gate_value(site, key)
	count(split_arns(value)) > max_list_entries
	message := sprintf("%s lists %d entries, more than the %d the policy reads, so it cannot check that %s may assume them all", [key, count(split_arns(value)), max_list_entries, access_subject])
	fix := "name exactly one role ARN allowed for this namespace"
}

gate_findings contains finding("role-not-allowed", gate_path(site, key), message, fix) if {
	access_on
	some site in gate_sites
	some key in [service_arns_key, user_arns_key]
	value := gate_value(site, key)
	some item in array.slice(split_arns(value), 0, max_list_entries)
	[message, fix] := role_denial(key, item)
}

role_denial(key, item) := [message, fix] if {
	arn_problem(item) == "ok"
	a := arn_of(item)
	text := sprintf("acs:ram::%s:role/%s", [a.account, a.role])
	not any_glob(list(access_entry, role_list_field[key]), text)
	message := sprintf("%s names %s, which %s may not assume (%s)", [key, text, access_subject, access_detail(role_list_field[key])])
	fix := "use a role allowed for this namespace, or ask the platform team to allow it in the policy's access settings"
} else := [message, fix] if {
	arn_problem(item) != "ok"
	message := sprintf("%s names %s, which is not a well-formed RAM role ARN and so matches no allowed role: %s may not assume it (%s)", [key, quote(item), access_subject, access_detail(role_list_field[key])])
	fix := "write exactly one ARN, acs:ram::<16-digit account id>:role/<name>, of a role allowed for this namespace"
}

gate_findings contains finding("instance-not-allowed", gate_path(site, key), message, fix) if {
	access_on
	some site in gate_sites
	some key in [instance_ids_key, legacy_key]
	value := gate_value(site, key)
	instance_list_too_long(value)
	message := sprintf("%s lists more than the %d entries the policy reads, so it cannot check that %s may use them all", [key, max_list_entries, access_subject])
	fix := sprintf("list at most %d instances, each allowed for this namespace", [max_list_entries])
}

gate_findings contains finding("instance-not-allowed", gate_path(site, key), message, fix) if {
	access_on
	some site in gate_sites
	some key in [instance_ids_key, legacy_key]
	value := gate_value(site, key)
	some t in array.slice(instance_tokens(value), 0, max_list_entries)
	[message, fix] := instance_denial(key, t)
}

instance_denial(key, t) := [message, fix] if {
	t.ok
	not instance_allowed(t.id)
	message := sprintf("%s lists ACR instance %s, which %s may not use (%s)", [key, t.id, access_subject, access_detail("instanceIds")])
	fix := "remove the instance from the annotation, or ask the platform team to allow it in the policy's access settings"
} else := [message, fix] if {
	not t.ok
	t.problem != "empty"
	message := sprintf("%s lists %s, which is not a well-formed ACR instance id and so matches no allowed instance: %s may not use it (%s)", [key, quote(t.raw), access_subject, access_detail("instanceIds")])
	fix := "write each id as [<region>:]cri-<16 lower-case letters or digits>, of an instance allowed for this namespace"
}

# Pulling from a registry is using its instance, listed or not.
image_gate_findings contains finding("instance-not-allowed", p.site.path, message, fix) if {
	access_on
	some p in pulled
	id := p.known.instance
	not instance_allowed(id)
	domain := {true: "custom domain", false: "default domain"}[p.known.custom]
	message := sprintf("%s pulls from %s, the %s of ACR instance %s, which %s may not use (%s)", [p.site.who, image_registry(p.image), domain, id, access_subject, access_detail("instanceIds")])
	fix := "pull from a registry allowed for this namespace, or ask the platform team to allow the instance in the policy's access settings"
}

# ---------------------------------------------------------------------------------------------
# ImageCache fields (src/checks/imagecache.rs).

imagecache_findings contains finding("imagecache-images-invalid", "/spec/images", message, "list the images to cache in spec.images") if {
	shape == "imagecache"
	images := get(spec, "images", null)
	message := images_problem(images)
}

images_problem(images) := "the ImageCache has no spec.images; it needs at least one image to cache" if {
	images == null
} else := "the ImageCache's spec.images is empty; it needs at least one image to cache" if {
	count(images) == 0
}

imagecache_findings contains soft_finding("imagecache-images-invalid", "/spec/images", message, "split the images over several ImageCache objects") if {
	shape == "imagecache"
	n := count(list(spec, "images"))
	n > 20
	message := sprintf("the ImageCache lists %d images; the CreateImageCache API takes at most 20, and the documentation does not say whether the ImageCache resource has the same limit", [n])
}

imagecache_findings contains finding(rule, sprintf("/spec/%s", [field]), message, fix) if {
	shape == "imagecache"
	some [rule, field, lo, hi, unit] in [
		["imagecache-size-invalid", "imageCacheSize", 20, 32768, "GiB"],
		["imagecache-retention-invalid", "retentionDays", 1, 65536, "days"],
	]
	v := get(spec, field, null)
	v != null
	not integer_in(v, lo, hi)
	message := sprintf("the ImageCache's spec.%s is %s; it must be an integer from %d to %d (%s)", [field, json.marshal(v), lo, hi, unit])
	fix := sprintf("set spec.%s to an integer between %d and %d, or remove it for the default", [field, lo, hi])
}

integer_in(v, lo, hi) if {
	is_number(v)
	v == floor(v)
	v >= lo
	v <= hi
}

imagecache_findings contains finding("imagecache-secret-ref-invalid", sprintf("/spec/imagePullSecrets/%d", [i]), message, fix) if {
	shape == "imagecache"
	some i, secret in list(spec, "imagePullSecrets")
	not secret_ref_ok(secret)
	message := secret_ref_problem(secret)
	fix := "write each ImageCache pull secret as \"<namespace>:<secret name>\", e.g. \"default:harbor-pull\""
}

secret_ref_ok(secret) if {
	is_string(secret)
	parts := split_once(secret, ":")
	parts[1] != null
	regex.match(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`, parts[0])
	count(parts[1]) <= 253
	every label in split(parts[1], ".") {
		regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, label)
	}
}

secret_ref_problem(secret) := sprintf("ImageCache pull secret %s is not \"<namespace>:<secret name>\"", [quote(secret)]) if {
	is_string(secret)
} else := sprintf("ImageCache pull secret {name: %s} uses the pod form; ImageCache takes \"<namespace>:<secret name>\" strings", [quote(secret.name)]) if {
	is_string(secret.name)
} else := "ImageCache pull secret is a mapping, not a \"<namespace>:<secret name>\" string (in YAML an unquoted namespace:name becomes a mapping; quote it)"
