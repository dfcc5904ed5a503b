# The database refresh function of prod-to-staging-sync (`db-method: lambda`), inside the VPC.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # A module sourced from git carries the whole repository, so its committed bundle is two levels up.
  function_source_dir = coalesce(var.function_source_dir, "${path.module}/../../dist/function")
  package_path        = var.package_zip != null ? var.package_zip : data.archive_file.function[0].output_path
  package_hash        = var.package_zip != null ? filebase64sha256(var.package_zip) : data.archive_file.function[0].output_base64sha256

  ca_bundle_path = var.ca_bundle_path != null ? var.ca_bundle_path : (var.ca_bundle_layer_arn != null ? "/opt/global-bundle.pem" : null)

  environment = merge(
    {
      SOURCE_SECRET_ARN = var.source_secret_arn
      TARGET_SECRET_ARN = var.target_secret_arn
      SOURCE_NAME       = var.source_name
      TARGET_NAME       = var.target_name
    },
    var.db_sslmode != null ? { DB_SSLMODE = var.db_sslmode } : {},
    local.ca_bundle_path != null ? { DB_CA_BUNDLE = local.ca_bundle_path } : {},
  )
}

# The zip is exactly the ncc build (index.js, its package.json saying "type": "module", source map, licenses).
data "archive_file" "function" {
  count       = var.package_zip == null ? 1 : 0
  type        = "zip"
  source_dir  = local.function_source_dir
  output_path = "${path.root}/.terraform/${var.function_name}.zip"
}

data "aws_iam_policy_document" "assume_by_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name                 = var.function_name
  description          = "Execution role of ${var.function_name}: logs, VPC network interfaces, the two database secrets."
  assume_role_policy   = data.aws_iam_policy_document.assume_by_lambda.json
  permissions_boundary = var.role_permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "basic_execution" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "vpc_access" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy_document" "read_secrets" {
  statement {
    sid       = "ReadTheTwoDatabaseSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.source_secret_arn, var.target_secret_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [var.kms_key_arn] : []
    content {
      sid       = "DecryptTheSecretsThroughSecretsManagerOnly"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-database-secrets"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.read_secrets.json
}

# Created before the function so Lambda does not create it without a retention.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "refresh" {
  function_name    = var.function_name
  description      = "prod-to-staging-sync: refreshes ${var.target_name}'s database from ${var.source_name} inside the VPC."
  role             = aws_iam_role.function.arn
  runtime          = var.runtime
  architectures    = [var.architecture]
  handler          = "index.handler"
  filename         = local.package_path
  source_code_hash = local.package_hash
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = var.ca_bundle_layer_arn != null ? [var.ca_bundle_layer_arn] : []

  # Two refreshes must never run at once: a second invocation is throttled instead.
  reserved_concurrent_executions = 1

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.basic_execution,
    aws_iam_role_policy_attachment.vpc_access,
    aws_iam_role_policy.read_secrets,
    aws_cloudwatch_log_group.function,
  ]
}

# Lambda retries asynchronous invocations twice by default; a retried refresh would run over the first.
resource "aws_lambda_function_event_invoke_config" "no_retries" {
  function_name          = aws_lambda_function.refresh.function_name
  maximum_retry_attempts = 0
}

# What the action's (staging) role needs to run the refresh: invoke this function, nothing else.
# InvokeWithResponseStream is authorised by lambda:InvokeFunction too.
data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "InvokeTheRefreshFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.refresh.arn]
  }
}
