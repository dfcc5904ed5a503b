variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string
  default     = "prod-to-staging-sync-db"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "subnet_ids" {
  description = "Private subnets the function runs in: they must reach both databases (and Secrets Manager, through a VPC endpoint or a NAT gateway)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids needs at least one subnet (two in different availability zones is better)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the function: allow outbound 5432 to both databases and 443 to Secrets Manager; the databases' groups must allow it in."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids needs at least one security group."
  }
}

variable "source_secret_arn" {
  description = "ARN of the Secrets Manager secret with production's connection (RDS-style JSON: host, port, username, password, dbname). A read-only user is enough."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.source_secret_arn))
    error_message = "source_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "target_secret_arn" {
  description = "ARN of the Secrets Manager secret with staging's connection (RDS-style JSON). This user's database is replaced by each refresh."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.target_secret_arn))
    error_message = "target_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "target_name" {
  description = "Name of the environment the function may refresh (TARGET_NAME). A refresh event naming another target is refused."
  type        = string
  default     = "staging"
}

variable "source_name" {
  description = "Name of the environment the function reads from (SOURCE_NAME), shown in its reports."
  type        = string
  default     = "production"
}

variable "db_sslmode" {
  description = "TLS mode for both connections (DB_SSLMODE). Null: the function's default, require (encrypted), or verify-full when a CA bundle is given."
  type        = string
  default     = null

  validation {
    condition     = var.db_sslmode == null || contains(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"], coalesce(var.db_sslmode, "require"))
    error_message = "db_sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full (or null for the function's default)."
  }
}

variable "ca_bundle_layer_arn" {
  description = "ARN (with version) of a Lambda layer holding the RDS CA bundle, e.g. global-bundle.pem at the layer's root (it appears under /opt). Null: no layer."
  type        = string
  default     = null
}

variable "ca_bundle_path" {
  description = "Path of the CA bundle inside the function (DB_CA_BUNDLE). Null: /opt/global-bundle.pem when ca_bundle_layer_arn is set, else no verification of certificates."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the secrets, if any: the role gets kms:Decrypt on it through Secrets Manager only. Null for the AWS-managed key."
  type        = string
  default     = null
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU and network grow with it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Time limit of one invocation in seconds (Lambda's maximum is 900). A refresh that cannot finish in time fails before loading; one stopped mid-load leaves staging unchanged."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's log."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "runtime" {
  description = "Lambda runtime of the bundle."
  type        = string
  default     = "nodejs24.x"
}

variable "architecture" {
  description = "Instruction set of the function: x86_64 or arm64 (the bundle is plain JavaScript and runs on both)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "function_source_dir" {
  description = "Folder with the built function (dist/function of this repository) that the module zips. Null: the dist/function folder of the repository this module sits in."
  type        = string
  default     = null
}

variable "package_zip" {
  description = "Path of a ready zip of the function (e.g. from npm run package:function); when set, function_source_dir is not used."
  type        = string
  default     = null
}

variable "role_permissions_boundary_arn" {
  description = "Permissions boundary to attach to the execution role, where the account requires one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
