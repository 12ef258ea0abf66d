"""The EXAMPLES of each subcommand's --help (and of the man page): what it says, then the command line."""

from __future__ import annotations

# Subcommand -> (what it does, the command line). ORG SERVICE is snet-org example throughout; MODEL_ID is
# the id create-model printed.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "metadata": (
        ("does the service's daemon train, and which methods", "snet training metadata snet-org example"),
        ("the same through another daemon endpoint", "snet training metadata snet-org example --endpoint https://daemon.example.com:8088"),
    ),
    "methods": (
        ("every trainable method with its dataset limits", "snet training methods snet-org example"),
        ("the full method names only", "snet training methods snet-org example --json | jq -r '.[].full_name'"),
    ),
    "method-metadata": (
        ("one method's dataset limits", "snet training method-metadata snet-org example Faces.train"),
        ("the limits of a model's method", "snet training method-metadata --model-id MODEL_ID"),
        ("the JSON Schema check-dataset validates against", "snet training method-metadata snet-org example train --schema"),
    ),
    "create-model": (
        ("a private model of the service's only trainable method", 'snet training create-model snet-org example --name "my model"'),
        ("a public model of one method of several",
         "snet training create-model snet-org example --name faces --method Faces.train --public"),
        ("keep the new id for the next commands",
         "MODEL_ID=$(snet training create-model snet-org example --name m1 --json | jq -r .model_id)"),
    ),
    "list-models": (
        ("every model you may see", "snet training list-models snet-org example"),
        ("your validated private models, all pages", "snet training list-models snet-org example --private --status VALIDATED --all"),
        ("the second page of ten", "snet training list-models snet-org example --page 1 --page-size 10"),
    ),
    "get-model": (
        ("a model this machine knows", "snet training get-model MODEL_ID"),
        ("a model of someone else's, and remember where it lives", "snet training get-model MODEL_ID --org snet-org --service example"),
    ),
    "update-model": (
        ("rename a model", 'snet training update-model MODEL_ID --name "better name"'),
        ("let another address use it", "snet training update-model MODEL_ID --add-address 0x8ba1f109551bD432803012645Ac136ddd64DBA72"),
    ),
    "delete-model": (
        ("delete a model (asks first)", "snet training delete-model MODEL_ID"),
        ("delete without asking", "snet training delete-model MODEL_ID -y"),
    ),
    "check-dataset": (
        ("check an archive against limits in a file, offline", "snet training check-dataset data.zip --metadata limits.json"),
        ("check a folder against the limits of a model's method", "snet training check-dataset ./photos --model-id MODEL_ID"),
        ("in a script: exit 0 passes, 3 fails", "snet training check-dataset data.zip --model-id MODEL_ID --json > report.json"),
    ),
    "validate-price": (
        ("what validating a dataset for this model costs", "snet training validate-price MODEL_ID"),
    ),
    "train-price": (
        ("what training this model costs", "snet training train-price MODEL_ID"),
    ),
    "upload": (
        ("every free step, the price, and nothing paid", "snet training upload MODEL_ID data.zip --dry-run"),
        ("pay (after asking), upload, wait for VALIDATED", "snet training upload MODEL_ID ./photos --wait"),
        ("in a script: never more than 500 cogs, no question", "snet training upload MODEL_ID data.zip --max-price 500 -y --json"),
    ),
    "validate": (
        ("validation of data the service fetches itself", "snet training validate MODEL_ID --link https://example.com/data.zip --wait"),
    ),
    "train": (
        ("pay for training (after asking) and wait until READY_TO_USE", "snet training train MODEL_ID --wait"),
        ("show the channel, nonce and signed amount before the question", "snet training train MODEL_ID -v"),
    ),
    "wait": (
        ("wait for the step in progress to finish", "snet training wait MODEL_ID"),
        ("wait up to two hours for training", "snet training wait MODEL_ID --until READY_TO_USE --timeout 7200"),
    ),
    "call": (
        ("call the service with the trained model", "snet training call MODEL_ID answer '{\"text\": \"hello\"}'"),
        ("the request from a file, the answer as JSON", "snet training call MODEL_ID Echo.answer request.json -y --json"),
    ),
    "models": (
        ("the models this machine knows", "snet training models"),
        ("forget one model", "snet training models forget MODEL_ID"),
        ("forget the models the daemons deleted or no longer have", "snet training models --prune"),
    ),
    "fund": (
        ("see what upload, train and call of a model will need, and send nothing", "snet training fund MODEL_ID --dry-run"),
        ("deposit, open or top up the channel in one step, good for 30 days", "snet training fund MODEL_ID --expiration 30d"),
        ("a channel able to pay 1000 cogs of calls", "snet training fund snet-org example --amount 1000 -y"),
    ),
    "sandbox": (
        ("the whole training flow on a local network, each command shown", "snet training sandbox demo"),
        ("a local network in the background, for your own commands", "snet training sandbox up"),
        ("test a script against it", "snet training sandbox run -- ./my-training-script.sh"),
    ),
    "doctor": (
        ("why a service cannot train: every check, all free", "snet training doctor snet-org example"),
        ("the same for a model, with its prices and next step", "snet training doctor MODEL_ID"),
        ("a report to paste into a support request", "snet training doctor snet-org example --json > doctor.json"),
    ),
}


def epilog(command: str) -> str | None:
    """The EXAMPLES epilog of COMMAND's --help, or None when it has none."""
    examples = EXAMPLES.get(command)
    if not examples:
        return None
    return "examples:\n" + "".join(f"  # {what}\n  {line}\n" for what, line in examples)
