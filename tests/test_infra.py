"""The deployment: Bicep templates, host.json, .funcignore and azure.yaml.

The Bicep compiler cannot run here, so every template is parsed with pycep-parser and
the parsed resources are checked against what the code needs: the settings it reads
(`shared.settings.SETTINGS`), the containers and queues it uses, the security settings
issue 6 asks for, and role assignments no broader than what the app does.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from pycep import BicepParser

from shared import settings, storage
from shared.secrets import SecretStore
from shared.settings import SETTINGS, STORAGE_SETTING

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
BICEP_FILES = sorted(path.name for path in INFRA.glob("*.bicep"))

# Built-in role definition ids (Azure RBAC, "Azure built-in roles").
ROLE_NAMES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
STORAGE_ACCOUNT = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"
APP_INSIGHTS = "Microsoft.Insights/components"

# Settings the code reads whose Azure value is not their default, by design.
SECRET_SETTINGS = {s.name for s in SETTINGS if s.secret}
VAULT_SETTING = "KEY_VAULT_URL"


# --- reading the parsed templates -------------------------------------------------


@cache
def template(file_name: str) -> dict:
    return BicepParser().parse(file_path=INFRA / file_name)


def body(resource: dict) -> dict:
    """A resource's own properties, unwrapped from `if (...)` and `for` forms."""
    config = resource["config"]
    while "config" in config and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config


def resources(resource_type: str) -> list[tuple[str, str, dict]]:
    """(file, symbol, resource) of every declared resource of one type."""
    return [
        (file_name, symbol, resource)
        for file_name in BICEP_FILES
        for symbol, resource in template(file_name).get("resources", {}).items()
        if resource["type"] == resource_type and not resource["existing"]
    ]


def the_only(resource_type: str) -> dict:
    found = resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return body(found[0][2])


def accessor(expression) -> list[str]:
    """`a.b.c` as ['a', 'b', 'c']; a bare name as [name]."""
    if isinstance(expression, str):
        return [expression]
    operands = expression["operator"]["operands"]
    return [operands["operand_1"], *accessor(operands["operand_2"])]


def module_call(file_name: str) -> dict:
    """The params main.bicep passes to one of its modules."""
    calls = template("main.bicep")["modules"].values()
    (call,) = [c for c in calls if c["detail"]["path"] == file_name]
    return body(call)["params"]


def main_default(parameter: str):
    return template("main.bicep")["parameters"][parameter]["default"]


def function_app() -> dict:
    return the_only("Microsoft.Web/sites")


def app_settings() -> dict:
    """The app settings: a loop over `items(appSettings)` in function.bicep."""
    loop = function_app()["properties"]["siteConfig"]["appSettings"]["loop_type"]
    source = loop["detail"]["array_name"]["function"]
    assert source["type"] == "items"
    return template("function.bicep")["variables"][source["parameters"]["arg_1"]][
        "value"
    ]


def setting_source(name: str):
    """Where a setting's value comes from, followed from function.bicep to main."""
    value = app_settings()[name]
    if value in template("function.bicep")["parameters"]:
        return module_call("function.bicep")[value]
    return value


def deployed_value(name: str):
    """The value a setting gets with main.bicep's defaults, when it is a constant."""
    source = setting_source(name)
    if source in template("main.bicep")["parameters"]:
        return main_default(source)
    return source


# --- templates ---------------------------------------------------------------------


@pytest.mark.parametrize("file_name", BICEP_FILES)
def test_template_parses_and_declares_something(file_name):
    parsed = template(file_name)

    assert parsed.get("resources") or parsed.get("modules")


def test_every_module_is_a_local_file_called_from_main():
    modules = template("main.bicep")["modules"].values()

    called = {module["detail"]["path"] for module in modules}
    kinds = {module["type"] for module in modules}

    # Registry modules hide their resources from pycep and checkov (issue 6).
    assert kinds == {"local"}
    assert called == set(BICEP_FILES) - {"main.bicep"}


def test_main_creates_the_resource_group_at_subscription_scope():
    main = template("main.bicep")

    assert main["globals"]["scope"]["value"] == "subscription"
    assert [r["type"] for r in main["resources"].values()] == [
        "Microsoft.Resources/resourceGroups"
    ]


# --- storage -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("allowSharedKeyAccess", False),
        ("supportsHttpsTrafficOnly", True),
        ("minimumTlsVersion", "TLS1_2"),
        ("allowBlobPublicAccess", False),
        ("allowCrossTenantReplication", False),
    ],
    ids=lambda value: str(value),
)
def test_storage_account_is_locked_down(key, expected):
    properties = the_only(STORAGE_ACCOUNT)["properties"]

    assert properties[key] == expected


def declared_names(resource_type: str) -> set[str]:
    """Names a resource loop iterates over, resolved from storage.bicep's variables."""
    ((file_name, _, resource),) = resources(resource_type)
    array = resource["config"]["loop_type"]["detail"]["array_name"]
    names = set()
    if isinstance(array, dict):  # concat(variable, [parameter, ...])
        first, *rest = array["function"]["parameters"].values()
        array, names = first, {n for part in rest for n in part}
    return names | set(template(file_name)["variables"][array]["value"])


def test_containers_are_the_settings_defaults_plus_the_deployment_package():
    expected = {s.default for s in SETTINGS if s.name.endswith("_CONTAINER")}

    declared = declared_names(f"{STORAGE_ACCOUNT}/blobServices/containers")

    assert declared == expected | {"deploymentContainerName"}


def test_queues_are_the_settings_defaults_with_their_poison_queues():
    queues = {s.default for s in SETTINGS if s.name.endswith("_QUEUE")}

    declared = declared_names(f"{STORAGE_ACCOUNT}/queueServices/queues")

    assert declared == queues | {f"{queue}-poison" for queue in queues}


def test_containers_are_private():
    containers = the_only(f"{STORAGE_ACCOUNT}/blobServices/containers")

    assert containers["properties"]["publicAccess"] == "None"


# --- key vault and monitoring --------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["enableRbacAuthorization", "enableSoftDelete", "enablePurgeProtection"]
)
def test_key_vault_protects_its_secrets(key):
    properties = the_only(KEY_VAULT)["properties"]

    assert properties[key] is True


def test_log_analytics_and_application_insights_refuse_local_authentication():
    workspace = the_only("Microsoft.OperationalInsights/workspaces")
    insights = the_only(APP_INSIGHTS)

    assert workspace["properties"]["features"]["disableLocalAuth"] is True
    assert insights["properties"]["DisableLocalAuth"] is True
    assert accessor(insights["properties"]["WorkspaceResourceId"]) == [
        "workspace",
        "id",
    ]


# --- function app --------------------------------------------------------------------


def test_plan_is_flex_consumption_on_linux():
    plan = the_only("Microsoft.Web/serverfarms")

    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True


def test_app_runs_python_3_11_as_its_user_assigned_identity():
    app = function_app()
    config = app["properties"]["functionAppConfig"]

    assert app["kind"] == "functionapp,linux"
    assert app["identity"]["type"] == "UserAssigned"
    assert app["properties"]["httpsOnly"] is True
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert config["deployment"]["storage"]["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }


def test_scaling_is_set_by_parameters_sized_to_meta_not_the_platform():
    scale = function_app()["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    call = module_call("function.bicep")

    assert call[scale["maximumInstanceCount"]] == "maximumInstanceCount"
    assert call[scale["instanceMemoryMB"]] == "instanceMemoryMB"
    # Meta's per-ad-account caps, not Flex's 1,000 instances, bound useful scale-out.
    assert 20 <= main_default("maximumInstanceCount") <= 40
    assert main_default("instanceMemoryMB") == 2048


def test_azd_parameters_default_to_the_template_defaults():
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]

    for name in ("maximumInstanceCount", "instanceMemoryMB", "vnetEnabled"):
        _, default = parameters[name]["value"].rstrip("}").split("=")
        assert default == json.dumps(main_default(name)), name


@pytest.mark.parametrize(
    "setting",
    [s for s in SETTINGS if s.name not in SECRET_SETTINGS | {VAULT_SETTING}],
    ids=lambda setting: setting.name,
)
def test_app_setting_has_the_code_default(setting):
    # GRAPH_API_BASE_URL is here too: the real Graph API in Azure is its default;
    # only local.settings.sample.json points it at the emulator.
    assert deployed_value(setting.name) == setting.default


@pytest.mark.parametrize("name", sorted(SECRET_SETTINGS))
def test_local_only_secret_is_not_an_app_setting(name):
    # In Azure the app secret and tokens come from Key Vault, never from settings.
    assert name not in app_settings()


def test_key_vault_url_is_the_vault_uri():
    source = setting_source(VAULT_SETTING)
    outputs = template("keyvault.bicep")["outputs"]

    assert accessor(source) == ["keyVault", "outputs", "uri"]
    assert accessor(outputs["uri"]["value"]) == ["vault", "properties", "vaultUri"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AzureWebJobsStorage__credential", "managedidentity"),
        ("AzureWebJobsStorage__clientId", ["identity", "outputs", "clientId"]),
        ("AzureWebJobsStorage__blobServiceUri", ["storage", "outputs", "blobEndpoint"]),
        (
            "AzureWebJobsStorage__queueServiceUri",
            ["storage", "outputs", "queueEndpoint"],
        ),
        ("AZURE_CLIENT_ID", ["identity", "outputs", "clientId"]),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            ["monitoring", "outputs", "appInsightsConnectionString"],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_identity_based_setting(name, expected):
    source = setting_source(name)

    assert (source if isinstance(source, str) else accessor(source)) == expected


def test_telemetry_authenticates_as_the_app_identity():
    value = app_settings()["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]

    assert value == "Authorization=AAD;ClientId=${identityClientId}"


def test_no_storage_connection_string_or_key_in_the_settings():
    values = app_settings()

    assert STORAGE_SETTING not in values
    assert not any("AccountKey" in str(v) for v in values.values())


# --- the product's clients with what the deployment gives them ------------------------


def example_endpoint(service: str) -> str:
    return f"https://stexample.{service}.core.windows.net/"


# Example values of the module outputs the identity-based settings come from.
EXAMPLE_OUTPUTS = {
    ("identity", "outputs", "clientId"): "00000000-0000-0000-0000-00000000c11d",
    ("storage", "outputs", "blobEndpoint"): example_endpoint("blob"),
    ("storage", "outputs", "queueEndpoint"): example_endpoint("queue"),
    ("keyVault", "outputs", "uri"): "https://kv-example.vault.azure.net/",
}


class StaticCredential:
    """A token credential that signs in nowhere: clients are built, never called."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken("static-test-token", 4_102_444_800)


def azure_environ() -> dict[str, str]:
    """The storage and vault settings as the deployment sets them, example values."""
    names = [n for n in app_settings() if n.startswith(STORAGE_SETTING)]
    environ = {}
    for name in [*names, VAULT_SETTING]:
        source = setting_source(name)
        path = tuple(accessor(source)) if isinstance(source, dict) else None
        environ[name] = EXAMPLE_OUTPUTS.get(path, source)
    return environ


BUILDERS = {"blob": storage.blob_service, "queue": storage.queue_service}


@pytest.mark.parametrize("service", BUILDERS)
def test_storage_client_builds_from_the_identity_based_settings(service):
    credential = StaticCredential()

    client = BUILDERS[service](azure_environ(), credential=credential)

    assert client.url == example_endpoint(service)
    assert client.credential is credential


@pytest.mark.parametrize(("service", "port"), [("blob", 10000), ("queue", 10001)])
def test_storage_client_builds_from_the_local_connection_string(service, port):
    client = BUILDERS[service]({STORAGE_SETTING: "UseDevelopmentStorage=true"})

    assert client.url.startswith(f"http://127.0.0.1:{port}/devstoreaccount1")


def test_secret_client_builds_for_the_deployed_vault():
    credential = StaticCredential()
    loaded = settings.load(azure_environ())

    client = SecretStore(loaded, credential=credential).client()

    assert client.vault_url == "https://kv-example.vault.azure.net"


# --- role assignments ----------------------------------------------------------------


def role_assignments() -> list[tuple[str, str, str]]:
    """(role, principal parameter, type of the scope resource) of every assignment."""
    found = []
    for file_name, _, resource in resources("Microsoft.Authorization/roleAssignments"):
        declared = template(file_name)["resources"]
        config = body(resource)
        definition = declared[accessor(config["properties"]["roleDefinitionId"])[0]]
        role = body(definition)["name"]
        # Without a scope an assignment covers the whole resource group.
        scope = declared[config["scope"]]["type"] if "scope" in config else "group"
        principal = config["properties"]["principalId"]
        found.append((ROLE_NAMES.get(role, role), principal, scope))
    return found


def roles_of(principal: str) -> list[tuple[str, str]]:
    return sorted(
        (role, scope) for role, who, scope in role_assignments() if who == principal
    )


def test_app_identity_holds_exactly_the_roles_it_needs():
    assert roles_of("appPrincipalId") == [
        ("Key Vault Secrets Officer", KEY_VAULT),
        ("Monitoring Metrics Publisher", APP_INSIGHTS),
        ("Storage Blob Data Owner", STORAGE_ACCOUNT),
        ("Storage Queue Data Contributor", STORAGE_ACCOUNT),
    ]


def test_deployer_gets_only_data_roles_and_only_when_named():
    conditional = [
        body(resource)["properties"]["principalId"]
        for _, _, resource in resources("Microsoft.Authorization/roleAssignments")
        if "condition" in resource["config"]
    ]

    assert roles_of("deployerPrincipalId") == [
        ("Key Vault Secrets Officer", KEY_VAULT),
        ("Storage Blob Data Contributor", STORAGE_ACCOUNT),
    ]
    assert conditional == ["deployerPrincipalId"] * 2


def test_no_role_is_broad_or_granted_beyond_one_resource():
    assignments = role_assignments()

    assert {role for role, _, _ in assignments} <= set(ROLE_NAMES.values())
    assert {who for _, who, _ in assignments} == {
        "appPrincipalId",
        "deployerPrincipalId",
    }
    assert {scope for _, _, scope in assignments} == {
        STORAGE_ACCOUNT,
        KEY_VAULT,
        APP_INSIGHTS,
    }


@pytest.mark.parametrize(
    "module", ["monitoring.bicep", "storage.bicep", "keyvault.bicep"]
)
def test_roles_go_to_the_app_identity_and_the_person_running_azd(module):
    call = module_call(module)

    assert accessor(call["appPrincipalId"]) == ["identity", "outputs", "principalId"]
    assert call.get("deployerPrincipalId", "principalId") == "principalId"


# --- network isolation ---------------------------------------------------------------


def test_private_networking_is_a_parameter_that_defaults_to_off():
    network = template("main.bicep")["modules"]["network"]["config"]

    # Off by default: the browser must reach /api/facebook/callback from Meta's dialog.
    assert main_default("vnetEnabled") is False
    assert network["condition"] == "vnetEnabled"
    assert module_call("storage.bicep")["privateNetworking"] == "vnetEnabled"
    assert module_call("keyvault.bicep")["privateNetworking"] == "vnetEnabled"


def test_private_endpoints_cover_blobs_queues_and_the_vault():
    endpoints = template("network.bicep")["variables"]["privateEndpoints"]["value"]

    assert sorted(e["name"] for e in endpoints) == ["blob", "queue", "vault"]


# --- host.json -----------------------------------------------------------------------


def host() -> dict:
    return json.loads((ROOT / "host.json").read_text())


def test_host_json_is_for_functions_v4_with_the_bundle():
    config = host()

    assert config["version"] == "2.0"
    assert config["extensionBundle"]["version"].startswith("[4.")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # A worker hashes 10,000 rows on one core while others wait on Meta: a few
        # messages at a time per instance, and scale-out does the rest.
        ("batchSize", 4),
        ("newBatchThreshold", 2),
        # The local runner reads these two (shared/local_runner.py).
        ("maxDequeueCount", 5),
        ("visibilityTimeout", "00:00:30"),
        # The SDK producers encode with TextBase64EncodePolicy (shared/storage.py).
        ("messageEncoding", "base64"),
    ],
    ids=lambda value: str(value),
)
def test_host_json_queue_setting(key, expected):
    assert host()["extensions"]["queues"][key] == expected


def test_function_timeout_leaves_the_planner_time_for_tens_of_millions_of_rows():
    hours, minutes, seconds = map(int, host()["functionTimeout"].split(":"))

    assert 10 <= hours * 60 + minutes <= 60 and seconds == 0


def test_sampling_keeps_every_failure_and_log_line():
    sampling = host()["logging"]["applicationInsights"]["samplingSettings"]

    excluded = set(sampling["excludedTypes"].split(";"))

    assert {"Exception", "Request", "Trace"} <= excluded


# --- .funcignore and azure.yaml ------------------------------------------------------


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether gitignore-style patterns (the subset .funcignore uses) drop a path."""
    parts = path.split("/")
    for pattern in patterns:
        directory = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        candidates = parts[:-1] if directory else parts
        if any(fnmatch.fnmatchcase(part, pattern) for part in candidates):
            return True
    return False


def funcignore() -> list[str]:
    lines = (ROOT / ".funcignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_infra.py",
        "emulator/server.py",
        "tools/demo.py",
        "bench/run.py",
        "scripts/check_infra.sh",
        "docs/guide.md",
        "infra/main.bicep",
        ".venv/bin/python",
        ".venv-checkov/bin/checkov",
        ".tools/node_modules/azurite/package.json",
        ".data/segments/big.csv",
        ".bench/result.json",
        ".demo/run.json",
        "local.settings.json",
        "local.settings.sample.json",
        "Makefile",
        ".ci/run",
        "shared/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_funcignore_keeps_out_of_the_package(path):
    assert ignored(path, funcignore())


@pytest.mark.parametrize(
    "path",
    ["function_app.py", "host.json", "requirements.txt", "shared/settings.py"],
)
def test_funcignore_deploys_the_app(path):
    assert not ignored(path, funcignore())


def test_azure_yaml_deploys_this_folder_as_a_python_function_app():
    text = (ROOT / "azure.yaml").read_text()

    for line in ("project: .", "language: python", "host: function", "path: infra"):
        assert re.search(rf"^\s+{re.escape(line)}$", text, re.MULTILINE), line
