output "function_arn" {
  description = "ARN of the function: the action's db-sync-function input."
  value       = aws_lambda_function.refresh.arn
}

output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.refresh.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "invoke_policy_json" {
  description = "IAM policy for the action's (staging) role: lambda:InvokeFunction on this function only (covers InvokeWithResponseStream)."
  value       = data.aws_iam_policy_document.invoke.json
}
